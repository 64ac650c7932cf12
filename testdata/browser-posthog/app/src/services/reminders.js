function sendReminder(invoice) {
  if (!invoice.customerEmail) {
    throw new Error(`Cannot remind ${invoice.customer}: no e-mail address`);
  }
  return `reminder sent to ${invoice.customerEmail}`;
}

// A function called from setTimeout that throws.
export function scheduleReminder(invoice, ms) {
  setTimeout(function onReminderDue() {
    sendReminder(invoice);
  }, ms);
}
