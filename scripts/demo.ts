console.log(
  'The demo is not built yet: it will start the emulator and a sample app, then run the bundled action.'
)
