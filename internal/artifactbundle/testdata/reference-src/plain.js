var y=2;
//# sourceMappingURL=maps/plain.js.map
