import type { Exam, ExamQuestion } from '../contracts.ts';

/** The exam as a learner may see it: without the expected answers. */
export type PublicExam = Omit<Exam, 'questions'> & { questions: Omit<ExamQuestion, 'answer'>[] };

export function withoutAnswers(exam: Exam): PublicExam {
  return { ...exam, questions: exam.questions.map(({ answer: _answer, ...question }) => question) };
}

/**
 * The quiz as readable text for the final assistant message.
 *
 * @example
 * ```ts
 * renderQuiz(exam); // "Quiz: RxJS operators (2 questions)\n\n1. …\n   a) …"
 * ```
 */
export function renderQuiz(exam: PublicExam): string {
  const count = exam.questions.length;
  const lines = [`Quiz: ${exam.topic} (${count} question${count === 1 ? '' : 's'})`, ''];
  exam.questions.forEach((question, index) => {
    lines.push(`${index + 1}. ${question.prompt}`);
    question.choices?.forEach((choice, i) => lines.push(`   ${String.fromCharCode(97 + i)}) ${choice}`));
  });
  lines.push('', 'Answer the questions and ask me to grade them.');
  return lines.join('\n');
}
