import type { Exam } from '../../../plugins/contracts.ts';

/** The session's kept exam, answers included, over REST: how a test knows the right answers. */
export async function keptExam(baseUrl: string, sessionId: string): Promise<Exam> {
  const response = await fetch(`${baseUrl}/v1/sessions/${sessionId}`);
  return ((await response.json()) as { data: { last_exam: Exam } }).data.last_exam;
}
