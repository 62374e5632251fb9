/**
 * `npm start`: boots the platform (see {@link serve}), prints its URLs and stops gracefully on
 * SIGINT/SIGTERM without losing stored events.
 */
import { errorMessage, isTributaryError } from '../core/index.ts';
import { serve } from './serve.ts';

serve(process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A bad setting, plugin or store stops the process with a message naming what is wrong.
    const code = isTributaryError(error) ? `${error.code}: ` : '';
    process.stderr.write(`tributary: ${code}${errorMessage(error)}\n`);
    process.exit(1);
  },
);
