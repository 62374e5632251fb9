import type { Intent } from '../contracts.ts';

/** What a planner decides: what to do, and about what. */
export interface Plan {
  intent: Intent;
  /** Never empty. */
  topic: string;
}

/** A letter, digit or underscore in any script: `\b` only knows ASCII, and the rules must work in Russian too. */
const WORD_CHAR = '[\\p{L}\\p{N}_]';

/** `pattern` as whole words, case-insensitive. */
function words(pattern: string): RegExp {
  return new RegExp(`(?<!${WORD_CHAR})(?:${pattern})(?!${WORD_CHAR})`, 'iu');
}

/** `pattern` as whole words at the start (`^`) or the end (`$`) of a text, with the spaces around it. */
function edge(pattern: string, where: '^' | '$'): RegExp {
  return where === '^'
    ? new RegExp(`^\\s*(?:${pattern})(?!${WORD_CHAR})\\s*`, 'iu')
    : new RegExp(`\\s*(?<!${WORD_CHAR})(?:${pattern})\\s*$`, 'iu');
}

/**
 * Command phrases, checked in order: grading first, so "grade my exam" is not taken for a quiz.
 * Each match is the phrase that {@link planByRules} cuts out of the question to find the topic.
 */
const RULES: ReadonlyArray<{ intent: Intent; phrase: RegExp }> = [
  {
    intent: 'grade',
    phrase: words(
      [
        'grade(?:\\s+my)?(?:\\s+(?:answers?|exam|quiz|test))?',
        'grading',
        'check\\s+my\\s+(?:answers?|exam|quiz|test)',
        'score\\s+my(?:\\s+(?:answers?|exam|quiz|test))?',
        'проверь(?:те)?(?:\\s+мои\\s+ответы)?',
      ].join('|'),
    ),
  },
  {
    intent: 'quiz',
    phrase: words(
      [
        'quiz(?:zes)?(?:\\s+me)?',
        'test\\s+me',
        'exams?',
        'questions\\s+(?:about|on)',
        'тест(?:ы|а|у|ом|ов)?',
        'викторин\\p{L}*',
      ].join('|'),
    ),
  },
];

/** Words that lead up to a command ("Could you make me a short quiz …"): not part of the topic. */
const LEAD_IN = edge(
  [
    'please',
    'can\\s+you',
    'could\\s+you',
    'would\\s+you',
    'give\\s+me',
    'make\\s+me',
    'make',
    'create',
    'generate',
    'prepare',
    'start',
    "let's\\s+(?:do|have)",
    'i\\s+want',
    "i'd\\s+like",
    'a',
    'an',
    'the',
    'some',
    'another',
    'new',
    'quick',
    'short',
    'пожалуйста',
    'сделай(?:те)?',
    'дай(?:те)?',
    'мне',
    'составь(?:те)?',
    'давай(?:те)?',
    'проведи(?:те)?',
    'небольш\\p{L}*',
    'коротк\\p{L}*',
  ].join('|'),
  '^',
);
/** Words between a command and its topic ("quiz me on …", "тест по …"). */
const CONNECTOR = edge('on|about|for|of|over|covering|regarding|по|про|об?|на\\s+тему', '^');
const POLITE_END = edge('please|for\\s+me|пожалуйста', '$');
const POLITE_START = edge('please|пожалуйста', '^');
/** Spaces and punctuation around a topic; `#` stays (C#), and `+` is a symbol, not punctuation (C++). */
const PUNCTUATION = /^(?:(?!#)[\s\p{P}])+|(?:(?!#)[\s\p{P}])+$/gu;

/**
 * The rule-based planner: the intent from command phrases (English and Russian), the topic from what is
 * left once the phrase and the words around it are cut out. Pure and instant; the fallback of the LLM planner.
 *
 * @example
 * ```ts
 * planByRules('Quiz me on RxJS operators'); // { intent: 'quiz', topic: 'RxJS operators' }
 * planByRules('Проверь мои ответы'); // { intent: 'grade', topic: 'Проверь мои ответы' }
 * planByRules('What does switchMap do?'); // { intent: 'answer', topic: 'What does switchMap do' }
 * ```
 */
export function planByRules(question: string): Plan {
  for (const { intent, phrase } of RULES) {
    const match = phrase.exec(question);
    if (match === null) continue;
    const before = question.slice(0, match.index);
    const after = question.slice(match.index + match[0].length);
    // "Quiz me on X" names the topic after the command; "X quiz, please" names it before.
    const topic = strip(after, [POLITE_START, CONNECTOR, POLITE_END]) || strip(before, [LEAD_IN, POLITE_END]);
    return { intent, topic: topic || fallback(question) };
  }
  return { intent: 'answer', topic: fallback(question) };
}

/** The question itself, without the punctuation around it; the question as given if nothing else is left. */
function fallback(question: string): string {
  return trimPunctuation(question) || question.trim() || question;
}

/** Removes the given edge patterns (and punctuation) until none is left. */
function strip(text: string, patterns: readonly RegExp[]): string {
  let current = trimPunctuation(text);
  for (let previous = ''; previous !== current;) {
    previous = current;
    for (const pattern of patterns) current = trimPunctuation(current.replace(pattern, ''));
  }
  return current;
}

function trimPunctuation(text: string): string {
  return text.replace(PUNCTUATION, '');
}
