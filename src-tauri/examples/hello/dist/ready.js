// What the bench waits for, as it waits for the app's first screen.
document.body.dataset.ready = "true";
