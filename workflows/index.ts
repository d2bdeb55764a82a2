export { ingestionRunWorkflow, batchIngestionWorkflow } from './ingestion-run.workflow';
export { segmentJobWorkflow } from './segment-job.workflow';
export { segmentScheduleWorkflow } from './segment-schedule.workflow';
export { exportJobWorkflow } from './export-job.workflow';
export { activationRunWorkflow } from './activation-run.workflow';
export { streamingIngestionWorkflow } from './streaming-ingestion.workflow';
export { privacyJobWorkflow } from './privacy.workflow';
