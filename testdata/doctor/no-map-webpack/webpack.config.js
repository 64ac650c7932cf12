module.exports = {
  entry: './src/app.js',
  devtool: false,
  output: { filename: 'app.js' },
};
