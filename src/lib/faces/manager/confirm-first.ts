/**
 * A destructive form's `use:enhance`: it goes only once the user confirms `message` (before
 * JavaScript arrives, the form goes as it is).
 */
export const confirmFirst =
  (message: string) =>
  ({ cancel }: { cancel: () => void }) => {
    if (!confirm(message)) cancel();
  };
