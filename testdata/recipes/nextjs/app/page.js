"use client";

import { useState } from "react";

function checkQuantity(n) {
  if (n > 3) throw new RangeError(`quantity ${n} is over the limit`);
  return n;
}

export default function Page() {
  const [quantity, setQuantity] = useState(1);
  return (
    <main>
      <p>Quantity: {quantity}</p>
      <button onClick={() => setQuantity(checkQuantity(quantity + 1))}>Add one</button>
    </main>
  );
}
