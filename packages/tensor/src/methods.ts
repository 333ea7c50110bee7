// Method forms of the common ops, so model code reads like the math: x.matmul(w).add(b).relu().
// Each method is the function of the same name; the functions stay the reference.
import { Tensor } from './tensor.ts';
import * as E from './ops/elementwise.ts';
import * as M from './ops/movement.ts';
import * as R from './ops/reduce.ts';
import { matmul } from './ops/matmul.ts';

declare module './tensor.ts' {
  interface Tensor {
    add(b: Tensor | number): Tensor;
    sub(b: Tensor | number): Tensor;
    mul(b: Tensor | number): Tensor;
    div(b: Tensor | number): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    square(): Tensor;
    pow(p: number): Tensor;
    relu(): Tensor;
    leakyRelu(slope?: number): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    softplus(): Tensor;
    clamp(lo: number, hi: number): Tensor;
    sum(axes?: number | readonly number[], keepDims?: boolean): Tensor;
    mean(axes?: number | readonly number[], keepDims?: boolean): Tensor;
    max(axes?: number | readonly number[], keepDims?: boolean): Tensor;
    matmul(b: Tensor): Tensor;
    reshape(shape: readonly number[]): Tensor;
    flatten(start?: number): Tensor;
    permute(perm: readonly number[]): Tensor;
    transpose(a?: number, b?: number): Tensor;
    broadcastTo(shape: readonly number[]): Tensor;
    slice(axis: number, start: number, end?: number): Tensor;
  }
}

const methods: ThisType<Tensor> & Record<string, (...args: never[]) => Tensor> = {
  add(b: Tensor | number) { return E.add(this, b); },
  sub(b: Tensor | number) { return E.sub(this, b); },
  mul(b: Tensor | number) { return E.mul(this, b); },
  div(b: Tensor | number) { return E.div(this, b); },
  neg() { return E.neg(this); },
  exp() { return E.exp(this); },
  log() { return E.log(this); },
  sqrt() { return E.sqrt(this); },
  abs() { return E.abs(this); },
  square() { return E.square(this); },
  pow(p: number) { return E.pow(this, p); },
  relu() { return E.relu(this); },
  leakyRelu(slope?: number) { return E.leakyRelu(this, slope); },
  sigmoid() { return E.sigmoid(this); },
  tanh() { return E.tanh(this); },
  softplus() { return E.softplus(this); },
  clamp(lo: number, hi: number) { return E.clamp(this, lo, hi); },
  sum(axes?: number | readonly number[], keepDims?: boolean) { return R.sum(this, axes, keepDims); },
  mean(axes?: number | readonly number[], keepDims?: boolean) { return R.mean(this, axes, keepDims); },
  max(axes?: number | readonly number[], keepDims?: boolean) { return R.max(this, axes, keepDims); },
  matmul(b: Tensor) { return matmul(this, b); },
  reshape(shape: readonly number[]) { return M.reshape(this, shape); },
  flatten(start?: number) { return M.flatten(this, start); },
  permute(perm: readonly number[]) { return M.permute(this, perm); },
  transpose(a?: number, b?: number) { return M.transpose(this, a, b); },
  broadcastTo(shape: readonly number[]) { return M.broadcastTo(this, shape); },
  slice(axis: number, start: number, end?: number) { return M.slice(this, axis, start, end); },
};

Object.assign(Tensor.prototype, methods);
