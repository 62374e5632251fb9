import './styles.css';
import { TributaryDashboard } from './tributary-dashboard.ts';

customElements.define('tributary-dashboard', TributaryDashboard);
