export default {
  input: 'src/app.js',
  output: { file: 'dist/app.js', format: 'es' },
};
