import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.ts';
import { DashboardPage } from './support/dashboard-page.ts';
import { startE2ePlatform, type E2ePlatform } from './support/e2e-platform.ts';
import { ensureDashboardBuilt } from './support/ensure-dashboard-built.ts';
import { keptExam } from './support/kept-exam.ts';

/** The quiz → grade loop in real Chromium: a quiz run, then the grade flow picked with answers typed in. */

let browser: Browser;
let platform: E2ePlatform;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await ensureDashboardBuilt();
  [browser, platform] = await Promise.all([launchChromium(), startE2ePlatform()]);
}, 60_000);

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

afterAll(async () => {
  await Promise.all([browser?.close(), platform?.close()]);
});

describe('dashboard: quiz, then grade', () => {
  it('after a quiz, picking grade shows an answers field; letters by question number get a score', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const dashboard = await DashboardPage.open(context, platform.url);
    const sessionId = await dashboard.createSession('quiz then grade');
    await dashboard.startRun('Quiz me on RxJS operators');
    await dashboard.event('run.completed').waitFor();
    const quiz = dashboard.page.getByTestId('quiz');
    const count = await quiz.getByTestId('quiz-question').count();
    expect(count).toBe(3);

    // Quiz runs take no answers: the field is there for grade only.
    expect(await dashboard.page.getByTestId('answers').count()).toBe(0);
    await dashboard.page.getByLabel('Flow').selectOption('grade');
    await expect.poll(() => dashboard.page.getByTestId('answers').count()).toBe(1);
    // One line per question of the quiz on screen, as a hint.
    expect(
      (await dashboard.page.getByTestId('answers').getAttribute('placeholder'))?.split('\n'),
    ).toHaveLength(count);

    // The right answers as a learner writes them: the letter shown on screen, own words for open questions.
    const exam = await keptExam(platform.url, sessionId);
    const lines: string[] = [];
    for (const [index, question] of exam.questions.entries()) {
      if (question.kind === 'open') {
        lines.push(`${index + 1}: it is about ${question.answer}`);
        continue;
      }
      const letter = String.fromCharCode(97 + question.choices!.indexOf(question.answer));
      const shown = quiz.getByTestId('quiz-question').nth(index).locator('ol[type="a"] > li');
      // (each choice is a radio button's label now: the quiz is also a form, tests/e2e/quiz-form.test.ts)
      expect((await shown.nth(letter.charCodeAt(0) - 97).textContent())?.trim()).toBe(question.answer);
      lines.push(`${index + 1}: ${letter}`);
    }
    await dashboard.startRunWithAnswers(lines.join('\n'));

    await dashboard.event('run.completed').nth(1).waitFor();
    const answer = dashboard.page.getByTestId('final-answer');
    await expect.poll(() => answer.textContent()).toContain(`Score: ${count} / ${count}`);
    expect(await answer.getAttribute('class')).not.toContain('error');
    expect(await dashboard.page.getByTestId('notice').count()).toBe(0);
  });
});
