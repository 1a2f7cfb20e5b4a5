import { describeExecScenarios } from './exec-scenarios.js';

describeExecScenarios(true);
