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
 * renderQuiz(exam); // "Quiz: RxJS operators (2 questions)\n\n1. …\n   a) …\n…\nAnswer the questions and ask me to grade them.\n…"
 * ```
 */
export function renderQuiz(exam: PublicExam): string {
  const count = exam.questions.length;
  const lines = [`Quiz: ${exam.topic} (${count} question${count === 1 ? '' : 's'})`, ''];
  exam.questions.forEach((question, index) => {
    lines.push(`${index + 1}. ${question.prompt}`);
    question.choices?.forEach((choice, i) => lines.push(`   ${String.fromCharCode(97 + i)}) ${choice}`));
  });
  lines.push('', 'Answer the questions and ask me to grade them.', howToAnswer(exam));
  return lines.join('\n');
}

/**
 * How the grade flow takes answers, with an example made from this quiz's questions: by number,
 * a letter or the option's text for multiple choice, own words for open questions.
 */
function howToAnswer(exam: PublicExam): string {
  const example = exam.questions
    .slice(0, 2)
    .map((question, index) => `${index + 1}: ${question.choices?.length ? 'b' : 'your explanation'}`)
    .join('; ');
  return `To grade, run the grade flow in this session with one answer per question by its number, e.g. "${example}": a letter, the option's text or your own words.`;
}
