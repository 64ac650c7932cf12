#!/usr/bin/env node
"use strict";
console.log(1);
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="db233adf-02f8-52df-a396-a3b9d031479e")}catch(e){}}();
//# debugId=db233adf-02f8-52df-a396-a3b9d031479e
