// The numbers behind the interactive figures, computed in the page: no drawing here.
// Each function mirrors one function of `gentle_rnn.interactive` (Python), which the browser test compares
// with it to 1e-9 relative. Vectors are arrays, matrices arrays of rows; column-vector notation as on the pages.

// ------------------------------------------------------------------------------------------------------------
// small linear algebra

export const zeros = (n) => new Array(n).fill(0);
export const zerosMatrix = (r, c) => Array.from({ length: r }, () => zeros(c));
export const matVec = (M, v) => M.map((row) => row.reduce((s, m, j) => s + m * v[j], 0)); // M v
export const matTVec = (M, v) => zeros(M[0].length).map((_, j) => M.reduce((s, row, i) => s + row[j] * v[i], 0)); // M^T v
export const add = (u, v) => u.map((e, i) => e + v[i]);
export const sub = (u, v) => u.map((e, i) => e - v[i]);
export const mul = (u, v) => u.map((e, i) => e * v[i]);
export const outer = (u, v) => u.map((a) => v.map((b) => a * b));
export const addMatrix = (A, B) => A.map((row, i) => row.map((e, j) => e + B[i][j]));
export const matMul = (A, B) => A.map((row) => B[0].map((_, j) => row.reduce((s, a, k) => s + a * B[k][j], 0)));
export const transpose = (A) => A[0].map((_, j) => A.map((row) => row[j]));
export const identity = (n) => Array.from({ length: n }, (_, i) => zeros(n).map((_, j) => (i === j ? 1 : 0)));
export const norm = (v) => Math.sqrt(v.reduce((s, e) => s + e * e, 0));
export const frobenius = (A) => norm(A.flat());
export const sigmoid = (a) => 1 / (1 + Math.exp(-a));

// The largest eigenvalue of a symmetric matrix by cyclic Jacobi rotations (converges to rounding error).
function largestSymmetricEigenvalue(S) {
  const A = S.map((row) => row.slice());
  const n = A.length;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += A[i][i] * A[i][i];
      for (let j = i + 1; j < n; j++) off += A[i][j] * A[i][j];
    }
    if (off <= 1e-32 * diag || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (A[p][q] === 0) continue;
        const theta = (A[q][q] - A[p][p]) / (2 * A[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) { // columns p and q
          const akp = A[k][p];
          const akq = A[k][q];
          A[k][p] = c * akp - s * akq;
          A[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) { // rows p and q
          const apk = A[p][k];
          const aqk = A[q][k];
          A[p][k] = c * apk - s * aqk;
          A[q][k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Math.max(...A.map((row, i) => row[i]));
}

// ||A||_2, the largest singular value: the square root of the largest eigenvalue of A^T A.
export function spectralNorm(A) {
  const scale = Math.max(...A.flat().map(Math.abs));
  if (scale === 0) return 0;
  const B = A.map((row) => row.map((e) => e / scale)); // scaled so that A^T A neither underflows nor overflows
  return scale * Math.sqrt(largestSymmetricEigenvalue(matMul(transpose(B), B)));
}

// Q of A = QR with a positive diagonal in R (modified Gram-Schmidt on the columns): the same Q as NumPy's QR
// with the signs fixed, as in gentle_rnn.vanishing.recurrent_matrix.
export function orthogonalFactor(A) {
  const n = A.length;
  const cols = transpose(A);
  const q = [];
  for (let j = 0; j < n; j++) {
    let v = cols[j].slice();
    for (let i = 0; i < j; i++) {
      const r = v.reduce((s, e, k) => s + e * q[i][k], 0);
      v = v.map((e, k) => e - r * q[i][k]);
    }
    const r = norm(v);
    q.push(v.map((e) => e / r));
  }
  return transpose(q);
}

// ------------------------------------------------------------------------------------------------------------
// the generator shared with Python (gentle_rnn.interactive.Mulberry32)

export function mulberry32(seed) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => { // Box-Muller, the cosine half
    const u1 = 1 - uniform();
    const u2 = uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
  return { uniform, normal };
}

// ------------------------------------------------------------------------------------------------------------
// Part 3: BPTT on the worked example of Part 2, step by step (gentle_rnn.interactive.bptt_steps)

function softmax(o) {
  const m = Math.max(...o);
  const e = o.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

// ex: {U (H x D), W, b, V (K x H), c, x: [x(1) ...] each D, y: classes from 0, h0}. tau: truncation length or null.
export function bpttSteps(ex, tau) {
  const T = ex.x.length;
  const H = ex.W.length;
  const hs = [ex.h0]; // hs[t] = h(t)
  for (let t = 1; t <= T; t++) {
    const a = add(add(ex.b, matVec(ex.W, hs[t - 1])), matVec(ex.U, ex.x[t - 1])); // (2.1)
    hs.push(a.map(Math.tanh)); // (2.2)
  }
  const slope = (t) => hs[t].map((v) => 1 - v * v); // tanh' from the output
  const steps = [{ position: 0 }];
  // shares[j] = the kept share at the current h(u) of L(u + j), j = 0 ... tau - 1 (3.11): one per loss term
  const kept = tau === null ? T : Math.min(tau, T);
  let shares = [];
  let sums = { dW: zerosMatrix(H, H), dU: zerosMatrix(H, ex.x[0].length), db: zeros(H),
    dV: zerosMatrix(ex.V.length, H), dc: zeros(ex.V.length) };
  for (let t = T; t >= 1; t--) {
    const yHat = softmax(add(ex.c, matVec(ex.V, hs[t]))); // (2.3)-(2.4)
    const dO = yHat.map((p, k) => p - (k === ex.y[t - 1] ? 1 : 0)); // (3.1)
    const fromOutput = matTVec(ex.V, dO); // V^T dL/do(t)
    shares = [fromOutput, ...shares]; // L(t) enters at h(t): age 0
    const fromFuture = shares.slice(1).reduce(add, zeros(H)); // what the later steps sent back (kept shares)
    const dh = add(fromOutput, fromFuture); // (3.2)/(3.3)
    const delta = mul(slope(t), dh); // (3.4)
    sums = {
      dW: addMatrix(sums.dW, outer(delta, hs[t - 1])), // (3.8)
      dU: addMatrix(sums.dU, outer(delta, ex.x[t - 1])), // (3.9)
      db: add(sums.db, delta), // (3.7)
      dV: addMatrix(sums.dV, outer(dO, hs[t])), // (3.6)
      dc: add(sums.dc, dO), // (3.5)
    };
    steps.push({ position: T - t + 1, t, do: dO, from_output: fromOutput, from_future: fromFuture, dh, delta,
      ...sums, terms: shares.map((_, j) => t + j) });
    // one step back: every share through diag(1 - h(t)^2) and W^T; the one that would reach age tau is cut
    shares = shares.map((g) => matTVec(ex.W, mul(slope(t), g))).slice(0, kept - 1);
    steps[steps.length - 1].sent = shares.map((_, j) => t + j); // the loss terms whose share reaches h(t - 1)
  }
  const last = steps[steps.length - 1];
  steps.push({ ...last, position: T + 1, dh0: matTVec(ex.W, last.delta) }); // (3.10), (3.12)
  return steps;
}

// ------------------------------------------------------------------------------------------------------------
// Part 4: the gradient against the lag (gentle_rnn.interactive.lag_network and lag_data)

export function lagNetwork({ seed, H, T, lambda1, kind, activation }) {
  const rng = mulberry32(seed);
  const G = Array.from({ length: H }, () => Array.from({ length: H }, rng.normal));
  const e = Array.from({ length: T }, () => Array.from({ length: H }, () => 0.1 * rng.normal()));
  const v0 = Array.from({ length: H }, rng.normal);
  const base = kind === "orthogonal" ? orthogonalFactor(G) : G;
  const s = lambda1 / spectralNorm(base);
  const W = base.map((row) => row.map((w) => w * s));
  return { W, e, v: v0.map((x) => x / norm(v0)), activation };
}

export function lagData(opts) {
  const { W, e, v, activation } = lagNetwork(opts);
  const { T, H, threshold } = opts;
  const phi = activation === "tanh" ? Math.tanh : sigmoid;
  const hs = [zeros(H)];
  const d = [null]; // d[t] = phi'(a(t)), from the output
  for (let t = 1; t <= T; t++) {
    const h = add(matVec(W, hs[t - 1]), e[t - 1]).map(phi);
    hs.push(h);
    d.push(h.map((x) => (activation === "tanh" ? 1 - x * x : x * (1 - x))));
  }
  const J = (j) => W.map((row, i) => row.map((w) => d[j][i] * w)); // dh(j)/dh(j-1) = diag(d(j)) W   (4.1)
  const norms = [1];
  let P = identity(H);
  for (let lag = 1; lag <= T; lag++) {
    P = matMul(P, J(T - lag + 1)); // dh(T)/dh(T - lag): each older factor on the right   (4.2)
    norms.push(spectralNorm(P));
  }
  const gamma = activation === "tanh" ? 1 : 0.25;
  const lambda1 = spectralNorm(W);
  const bound = norms.map((_, lag) => (gamma * lambda1) ** lag); // (4.5)-(4.6)
  // dL/dW for a loss at the last step with dL/dh(T) = v: BPTT, sum_k delta(k) h(k-1)^T
  let dW = zerosMatrix(H, H);
  let g = v;
  for (let k = T; k >= 1; k--) {
    const delta = mul(d[k], g);
    dW = addMatrix(dW, outer(delta, hs[k - 1]));
    g = matTVec(W, delta);
  }
  const gradNorm = frobenius(dW);
  const scale = threshold === null || gradNorm <= threshold ? 1 : threshold / gradNorm;
  return { norms, bound, lambda_1: lambda1, gamma, grad_norm: gradNorm, scale, clipped_norm: gradNorm * scale };
}

// ------------------------------------------------------------------------------------------------------------
// Part 5: the constant error carousel (gentle_rnn.interactive.carousel_data)

// gates: {z: [U, W, b], g, f, q} of the one-unit LSTM; rnn: {U, W}; cycle: the inputs, repeated.
export function carouselData({ gates, rnn, cycle, forgetBias, T, step }) {
  const x = Array.from({ length: T }, (_, i) => cycle[i % cycle.length]);
  const pre = (k, hPrev, xt) => (k === "f" ? forgetBias : gates[k][2]) + gates[k][1] * hPrev + gates[k][0] * xt;
  const tr = { z: [], g: [], f: [], q: [], s: [0], h: [0] }; // s[t] = s(t), h[t] = h(t); gates at index t - 1
  for (let t = 1; t <= T; t++) {
    const hPrev = tr.h[t - 1];
    const z = Math.tanh(pre("z", hPrev, x[t - 1])); // (5.1)
    const g = sigmoid(pre("g", hPrev, x[t - 1])); // (5.2)
    const f = sigmoid(pre("f", hPrev, x[t - 1])); // (5.3)
    const q = sigmoid(pre("q", hPrev, x[t - 1])); // (5.4)
    const s = f * tr.s[t - 1] + g * z; // (5.5)
    tr.z.push(z); tr.g.push(g); tr.f.push(f); tr.q.push(q); tr.s.push(s);
    tr.h.push(q * Math.tanh(s)); // (5.6)
  }
  // BPTT with a unit gradient at h(T): (5.9)-(5.14)
  const ds = zeros(T);
  const dh = zeros(T);
  let dhNext = 0;
  let dsNext = 0;
  for (let t = T; t >= 1; t--) {
    const i = t - 1;
    const { z, g, f, q } = { z: tr.z[i], g: tr.g[i], f: tr.f[i], q: tr.q[i] };
    const th = Math.tanh(tr.s[t]);
    dh[i] = (t === T ? 1 : 0) + dhNext; // (5.9)
    ds[i] = dh[i] * q * (1 - th * th) + dsNext; // (5.10)
    const daQ = dh[i] * th * q * (1 - q); // (5.11)
    const daZ = ds[i] * g * (1 - z * z); // (5.12)
    const daG = ds[i] * z * g * (1 - g); // (5.13)
    const daF = ds[i] * tr.s[t - 1] * f * (1 - f); // (5.14)
    dsNext = ds[i] * f;
    dhNext = gates.z[1] * daZ + gates.g[1] * daG + gates.f[1] * daF + gates.q[1] * daQ;
  }
  let cellPath = 1; // f(T) f(T-1) ... f(2): s(T) -> s(1) along the cell path alone   (5.17)
  for (let j = 2; j <= T; j++) cellPath *= tr.f[j - 1];
  const cell = cellPath * ds[T - 1];
  // the simple RNN, one unit, same inputs, unit gradient at h(T)
  const hr = [0];
  for (let t = 1; t <= T; t++) hr.push(Math.tanh(rnn.W * hr[t - 1] + rnn.U * x[t - 1]));
  let gr = 1;
  for (let t = T; t >= 2; t--) gr = rnn.W * (1 - hr[t] * hr[t]) * gr; // dL/dh(t-1) = W (1 - h(t)^2) dL/dh(t)
  const i = step - 1;
  return {
    ds, dh, f: tr.f,
    total_share: ds[0] / ds[T - 1], cell_share: cell / ds[T - 1], gates_share: (ds[0] - cell) / ds[T - 1],
    rnn_share: Math.abs(gr),
    cell: { x: x[i], z: tr.z[i], g: tr.g[i], f: tr.f[i], q: tr.q[i], s_prev: tr.s[i], s: tr.s[step],
      h: tr.h[step], ds: ds[i], dh: dh[i] },
  };
}
