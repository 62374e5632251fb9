import type { Browser, BrowserContext, Locator } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.ts';
import { DashboardPage } from './support/dashboard-page.ts';
import { startE2ePlatform, type E2ePlatform } from './support/e2e-platform.ts';
import { ensureDashboardBuilt } from './support/ensure-dashboard-built.ts';
import { keptExam } from './support/kept-exam.ts';

/** The learner's quiz form in real Chromium: answer the quiz on screen, submit, read the grade. */

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

/** The grade runs of the session, over REST, with the input the form sent. */
async function gradeRuns(sessionId: string): Promise<{ flow: string; input: { answers?: unknown } }[]> {
  const response = await fetch(`${platform.url}/v1/sessions/${sessionId}/runs`);
  const { items } = (await response.json()) as { items: { flow: string; input: { answers?: unknown } }[] };
  return items.filter((run) => run.flow === 'grade');
}

describe('dashboard: the quiz form', () => {
  it('answers a quiz with radio buttons and text, by keyboard too, and shows the grade run’s score and feedback', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const dashboard = await DashboardPage.open(context, platform.url);
    const { page } = dashboard;
    const sessionId = await dashboard.createSession('quiz form');
    await dashboard.startRun('Quiz me on RxJS operators');
    await dashboard.event('run.completed').waitFor();

    const form = page.getByTestId('quiz-form');
    const questions = form.getByTestId('quiz-question');
    const exam = await keptExam(platform.url, sessionId);
    expect(await questions.count()).toBe(exam.questions.length);
    const open = exam.questions.findIndex((question) => question.kind === 'open');
    const choiceQuestions = exam.questions.flatMap((question, index) =>
      question.kind === 'open' ? [] : [index],
    );
    expect(open).toBeGreaterThanOrEqual(0);
    expect(choiceQuestions.length).toBeGreaterThan(0);

    // Each question is a group named by its prompt: radios for choices, a text input for open ones.
    for (const [index, question] of exam.questions.entries()) {
      const group = page.getByRole('group', { name: question.prompt });
      if (question.kind === 'open')
        expect(await group.getByRole('textbox', { name: question.prompt }).count()).toBe(1);
      else expect(await group.getByRole('radio').count()).toBe(question.choices!.length);
      expect(await questions.nth(index).getByRole('group').count()).toBe(1);
    }

    // Nothing answered: the form says so, starts no run, and puts the focus on the first question.
    await page.getByTestId('quiz-submit').click();
    await expect
      .poll(() => page.getByTestId('quiz-error').textContent())
      .toContain('Answer at least one question before submitting.');
    const first = exam.questions[0]!;
    const firstGroup = page.getByRole('group', { name: first.prompt });
    const firstControl: Locator =
      first.kind === 'open' ? firstGroup.getByRole('textbox') : firstGroup.getByRole('radio').first();
    // A script string: the tests are compiled without the DOM types.
    const firstId = await firstControl.getAttribute('id');
    expect(firstId).toBeTruthy();
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe(firstId);
    expect(await gradeRuns(sessionId)).toEqual([]);

    // The right choice of every multiple choice question; the first one by keyboard alone.
    for (const [n, index] of choiceQuestions.entries()) {
      const question = exam.questions[index]!;
      const group = page.getByRole('group', { name: question.prompt });
      const right = question.choices!.indexOf(question.answer);
      if (n === 0) {
        await group.getByRole('radio').first().focus();
        await page.keyboard.press('Space');
        for (let i = 0; i < right; i += 1) await page.keyboard.press('ArrowDown');
      } else await group.getByRole('radio', { name: question.answer, exact: true }).check();
      await expect
        .poll(() => group.getByRole('radio', { name: question.answer, exact: true }).isChecked())
        .toBe(true);
    }
    // The open question answered wrong, so the score is not simply full marks.
    await page.getByRole('textbox', { name: exam.questions[open]!.prompt }).fill('no idea');
    await page.getByTestId('quiz-error').waitFor({ state: 'detached' });
    await page.getByTestId('quiz-submit').press('Enter');

    const grade = page.getByTestId('quiz-grade');
    const right = exam.questions.length - 1;
    await expect
      .poll(() => grade.getByTestId('quiz-score').textContent())
      .toBe(`Score: ${right} / ${exam.questions.length}`);
    expect(await grade.getAttribute('data-status')).toBe('completed');
    // One feedback under each question: right ones and the wrong open one, said in words, not only colour.
    for (const [index] of exam.questions.entries()) {
      const feedback = questions.nth(index).getByTestId('quiz-feedback');
      expect(await feedback.count()).toBe(1);
      expect(await feedback.textContent()).toContain(index === open ? '✗ Wrong' : '✓ Right');
    }
    // The grader's own words follow the verdict.
    expect(await questions.nth(open).getByTestId('quiz-feedback').textContent()).toContain('Expected');

    // The run the form started: a grade run in this session, answers keyed by the quiz's question ids.
    const runs = await gradeRuns(sessionId);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.input.answers).toEqual(
      Object.fromEntries(
        exam.questions.map((question, index) => [question.id, index === open ? 'no idea' : question.answer]),
      ),
    );
    // The grade shown is that run's: the newest run of the timeline.
    expect(await grade.getAttribute('data-run-id')).toBe(
      await dashboard.event('run.started').last().getAttribute('data-run-id'),
    );

    // A reload replays the session: the grade is still shown under the quiz it graded.
    await page.reload();
    await dashboard.connected();
    await expect
      .poll(() => page.getByTestId('quiz-score').textContent())
      .toBe(`Score: ${right} / ${exam.questions.length}`);
    expect(await page.getByTestId('quiz-feedback').count()).toBe(exam.questions.length);
    // The form shows what was graded, from the grade run's input.
    await expect
      .poll(() => page.getByRole('textbox', { name: exam.questions[open]!.prompt }).inputValue())
      .toBe('no idea');
    for (const index of choiceQuestions) {
      const question = exam.questions[index]!;
      const group = page.getByRole('group', { name: question.prompt });
      expect(await group.getByRole('radio', { name: question.answer, exact: true }).isChecked()).toBe(true);
    }
    expect(await page.getByTestId('final-answer').locator('h3').textContent()).toContain(
      'Quiz: RxJS operators',
    );

    // A second quiz: the page shows it, to be answered. The first quiz run's own view still shows
    // the first quiz with its grade, closed: a grade run would grade the newer one.
    const quizRunId = await dashboard.event('run.started').first().getAttribute('data-run-id');
    await dashboard.startRun('Quiz me on RxJS operators');
    await dashboard.event('run.completed').nth(2).waitFor();
    await expect
      .poll(() => page.getByTestId('quiz-form').getAttribute('data-quiz-run-id'))
      .not.toBe(quizRunId);
    expect(await page.getByTestId('quiz-grade').count()).toBe(0);
    expect(await page.getByTestId('quiz-submit').isEnabled()).toBe(true);
    await page.evaluate(`location.hash = '#/sessions/${sessionId}/runs/${quizRunId}'`);
    await expect.poll(() => page.getByTestId('quiz-form').getAttribute('data-quiz-run-id')).toBe(quizRunId);
    expect(await page.getByTestId('quiz-score').textContent()).toBe(
      `Score: ${right} / ${exam.questions.length}`,
    );
    expect(await page.getByTestId('quiz-stale').count()).toBe(1);
    expect(await page.getByTestId('quiz-submit').isDisabled()).toBe(true);
  });

  it('a grade run the server refuses (the session was archived) is said in the form, which stays to retry', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const dashboard = await DashboardPage.open(context, platform.url);
    const { page } = dashboard;
    const sessionId = await dashboard.createSession('quiz form, archived');
    await dashboard.startRun('Quiz me on RxJS operators');
    await dashboard.event('run.completed').waitFor();
    const archived = await fetch(`${platform.url}/v1/sessions/${sessionId}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ state: 'archived' }),
    });
    expect(archived.status).toBe(200);

    const first = page.getByTestId('quiz-question').first();
    if ((await first.getByRole('radio').count()) > 0) await first.getByRole('radio').first().check();
    else await first.getByRole('textbox').fill('an answer');
    await page.getByTestId('quiz-submit').click();
    await expect
      .poll(() => page.getByTestId('quiz-error').textContent())
      .toMatch(/Could not start the grade run: .*archived/);
    expect(await page.getByTestId('quiz-submit').isEnabled()).toBe(true);
    expect(await page.getByTestId('quiz-grade').count()).toBe(0);
    expect(await gradeRuns(sessionId)).toEqual([]);
  });
});
