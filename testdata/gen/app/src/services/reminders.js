export function makeReminder(cart, attempts) {
  let fired = 0;
  const fire = () => {
    fired += 1;
    if (fired > attempts) {
      throw new Error(`reminder for ${cart.owner} fired ${fired} times (limit ${attempts})`);
    }
  };
  return { fire };
}

export function scheduleReminder(cart, ms) {
  const reminder = makeReminder(cart, 0);
  setTimeout(function onReminderDue() {
    reminder.fire();
  }, ms);
  return reminder;
}
