import { describe, expect, it } from 'vitest';
import type { Exam } from '../../plugins/contracts.ts';
import { newSession, runToEnd, useGateway } from './gateway/platform.ts';

/**
 * The quiz → grade loop as the quiz message invites it, over HTTP against the bundled demo backends:
 * the user reads the quiz, then sends only answers (letters, option text, own words) by question number.
 */
describe('quiz then grade over HTTP, answering as the quiz message shows the questions', () => {
  const gw = useGateway();

  /** Starts a run in the session and waits for its end. */
  async function run(
    sessionId: string,
    body: { input: { question: string } & Record<string, unknown>; flow?: string },
  ) {
    const { data, response } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: sessionId } },
      body,
    });
    expect(response.status).toBe(202);
    return runToEnd(gw().api, sessionId, data!.id);
  }

  /** The session's last assistant message. */
  async function lastMessage(sessionId: string): Promise<string> {
    const { data } = await gw().api.GET('/v1/sessions/{session_id}/messages', {
      params: { path: { session_id: sessionId } },
    });
    return data!.items.findLast((message) => message.role === 'assistant')!.content;
  }

  it('answers by number with the letters of the quiz message and own words are graded right', async () => {
    const id = await newSession(gw().api, { name: 'quiz then grade' });
    const quiz = await run(id, { input: { question: 'Quiz me on RxJS operators', num_questions: 3 } });
    expect(quiz.status).toBe('completed');
    const quizText = await lastMessage(id);

    // What the learner knows: the message. The right answers are read from the session only to answer well.
    const { data: session } = await gw().api.GET('/v1/sessions/{session_id}', {
      params: { path: { session_id: id } },
    });
    const exam = (session!.data as { last_exam: Exam }).last_exam;
    const multipleChoice = exam.questions.filter((question) => question.kind === 'multiple_choice');
    expect(multipleChoice.length).toBeGreaterThan(0);
    const answers: Record<string, string> = {};
    exam.questions.forEach((question, index) => {
      const number = String(index + 1);
      if (question.kind === 'open') {
        answers[number] = `It is about ${question.answer}.`;
        return;
      }
      const letter = String.fromCharCode(97 + question.choices!.indexOf(question.answer));
      // The letter is the one the quiz message shows next to the right option.
      expect(quizText).toContain(`\n${number}. ${question.prompt}\n`);
      expect(quizText).toContain(`   ${letter}) ${question.answer}\n`);
      answers[number] = letter;
    });

    const graded = await run(id, { flow: 'grade', input: { question: 'Grade my answers', answers } });
    expect(graded).toMatchObject({
      status: 'completed',
      result: { score: exam.questions.length, max_score: exam.questions.length },
    });
    expect(await lastMessage(id)).toMatch(
      new RegExp(`^Score: ${exam.questions.length} / ${exam.questions.length}\n\n✓ 1\\. `),
    );

    // The same in the question text alone, one letter wrong: the other answers still count.
    const [first] = multipleChoice;
    const firstNumber = exam.questions.indexOf(first!) + 1;
    const wrongIndex = first!.choices!.findIndex((choice) => choice !== first!.answer);
    const written = Object.entries({ ...answers, [firstNumber]: String.fromCharCode(97 + wrongIndex) })
      .map(([number, answer]) => `${number}: ${answer}`)
      .join('\n');
    const again = await run(id, { flow: 'grade', input: { question: `grade my answers:\n${written}` } });
    expect(again).toMatchObject({
      status: 'completed',
      result: { score: exam.questions.length - 1, max_score: exam.questions.length },
    });
    expect(await lastMessage(id)).toContain(
      `✗ ${firstNumber}. Expected "${first!.answer}", got "${first!.choices![wrongIndex]}".`,
    );
  });

  it('an answer key that names no question fails the grade run with a message that says how to answer', async () => {
    const id = await newSession(gw().api);
    await run(id, { input: { question: 'Quiz me on RxJS operators', num_questions: 2 } });
    const graded = await run(id, { flow: 'grade', input: { question: 'Grade', answers: { '9': 'b' } } });
    expect(graded).toMatchObject({
      status: 'failed',
      error: {
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/^input\.answers\.9: "9" is not a question/),
      },
    });
    expect(await lastMessage(id)).toMatch(/^I could not read your answers: .*use its number \(1 to 2\)/);
  });
});
