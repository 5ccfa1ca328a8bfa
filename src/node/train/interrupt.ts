/**
 * Ctrl-C during training: the first SIGINT asks the loop to stop after the
 * current step and save a checkpoint (through an AbortSignal the loop polls);
 * a second one quits at once (the checkpoint on disk stays the previous,
 * complete one, since checkpoints are written atomically).
 */
export interface InterruptWatch {
  signal: AbortSignal;
  dispose(): void;
}

export function watchSigint(notify: (message: string) => void = (m) => process.stderr.write(`\n${m}\n`)): InterruptWatch {
  const controller = new AbortController();
  const onSigint = (): void => {
    if (!controller.signal.aborted) {
      notify('interrupted: finishing this step and saving a checkpoint (press Ctrl-C again to quit without saving)');
      controller.abort();
      return;
    }
    notify('interrupted twice: quitting without saving');
    process.exit(130);
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}
