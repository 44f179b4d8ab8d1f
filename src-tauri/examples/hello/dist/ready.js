// What the bench waits for. Set on the first frame after the script runs, as the
// app marks its first screen (App.svelte), so both are timed to the same moment.
requestAnimationFrame(() => {
  performance.mark("whetstone:ready");
  document.body.dataset.ready = "true";
});
