// The `mnist` package's digit files, typed without letting the compiler read 21 MB of JSON.
declare module 'mnist/src/digits/*.json' {
  const digits: { data: number[] };
  export default digits;
}
