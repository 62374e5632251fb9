import { describe, expect, it } from 'vitest';
import { planByRules } from './plan-by-rules.ts';

describe('planByRules', () => {
  it.each([
    // quiz, English
    ['Quiz me on RxJS operators', 'quiz', 'RxJS operators'],
    ['quiz me on RxJS operators!', 'quiz', 'RxJS operators'],
    ['Can you test me on Observables, please?', 'quiz', 'Observables'],
    ['Give me a quick quiz about Subjects', 'quiz', 'Subjects'],
    ['RxJS operators quiz', 'quiz', 'RxJS operators'],
    ['Give me 5 questions about schedulers', 'quiz', 'schedulers'],
    ['Make an exam on backpressure.', 'quiz', 'backpressure'],
    ['Quiz me on C++', 'quiz', 'C++'],
    ['quiz', 'quiz', 'quiz'],
    // quiz, Russian
    ['Сделай тест по RxJS', 'quiz', 'RxJS'],
    ['Тест по наблюдаемым потокам', 'quiz', 'наблюдаемым потокам'],
    ['Проведи викторину про операторы RxJS', 'quiz', 'операторы RxJS'],
    ['Давай небольшую викторину на тему Subject', 'quiz', 'Subject'],
    // grade, English and Russian: grading wins over the quiz words it contains
    ['Grade my exam on RxJS', 'grade', 'RxJS'],
    ['Grade my answers', 'grade', 'Grade my answers'],
    ['Check my answers', 'grade', 'Check my answers'],
    ['Please score my quiz', 'grade', 'Please score my quiz'],
    ['Проверь мои ответы', 'grade', 'Проверь мои ответы'],
    ['Проверьте мои ответы по RxJS', 'grade', 'RxJS'],
    // answer: no command, the question is the topic
    ['What is a Subject in RxJS?', 'answer', 'What is a Subject in RxJS'],
    ['How do I upgrade RxJS?', 'answer', 'How do I upgrade RxJS'],
    ['What is unit testing?', 'answer', 'What is unit testing'],
    ['Explain C#', 'answer', 'Explain C#'],
    ['Что такое switchMap?', 'answer', 'Что такое switchMap'],
    ['Протестируй мой код', 'answer', 'Протестируй мой код'],
    ['?!', 'answer', '?!'],
  ])('%j -> %s on %j', (question, intent, topic) => {
    expect(planByRules(question)).toEqual({ intent, topic });
  });
});
