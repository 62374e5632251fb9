import './styles.css';
import { TributaryDashboard } from './tributary-dashboard.ts';
import { TributaryOps } from './tributary-ops.ts';

customElements.define('tributary-dashboard', TributaryDashboard);
customElements.define('tributary-ops', TributaryOps);
