// A custom error class: the header line of its stack is "InvoiceError: …" in
// Chromium (V8 formats the stack lazily, after the constructor set the name),
// while Firefox's stack has no header line at all.
export class InvoiceError extends Error {
  constructor(message, invoiceId) {
    super(message);
    this.name = 'InvoiceError';
    this.invoiceId = invoiceId;
  }
}
