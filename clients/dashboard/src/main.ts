import './styles.css';
import { TributaryDashboard } from './tributary-dashboard.ts';
import { TributaryOps } from './tributary-ops.ts';
import { TributaryRunAnswer } from './tributary-run-answer.ts';

customElements.define('tributary-dashboard', TributaryDashboard);
customElements.define('tributary-ops', TributaryOps);
customElements.define('tributary-run-answer', TributaryRunAnswer);
