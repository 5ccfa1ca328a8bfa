#!/usr/bin/python3
"""Winograd F(m, r) transform matrices by Toom-Cook, and their float32 error.

    python3 tools/winograd_matrices.py 3 5 0,1,-1,2,-1/2,1/2

prints Bᵀ, G and Aᵀ as C++ initializers (native/src/winograd_transforms.h) for
the m + r - 2 finite interpolation points given (the point at infinity is
always added), and the largest error of one output block, relative to the
block's largest value, summing 192 channels of random N(0, 1) data in float32
against float64 direct correlation. Needs numpy and sympy (Debian's
python3-numpy, python3-sympy). The points of the committed kinds:

    F(2, 3): 0,1,-1    F(4, 3): 0,1,-1,2,-2    F(2, 5): 0,1,-1,2,-1/2    F(4, 5): 0,1,-1,2,-2,1/2,-1/2

F(4, 5)'s matrices are this script's output; the others are the literature's
forms for the same points, which differ from it by row scalings (same error).

Aᵀ and G follow from the points (Aᵀ[i][j] = a_j^i; G[j][k] = a_j^k / Π_{l≠j}(a_j − a_l));
Bᵀ is then solved exactly (sympy) from the defining identity
Σ_j Aᵀ[i][j] G[j][k] Bᵀ[j][l] = [l = i + k].
"""
import argparse

import numpy as np
import sympy as sp


def toom_cook(m: int, r: int, points: list[str]) -> tuple[sp.Matrix, sp.Matrix, sp.Matrix]:
    n = m + r - 1
    if len(points) != n - 1:
        raise SystemExit(f'F({m}, {r}) needs {n - 1} finite points, got {len(points)}')
    a = [sp.Rational(p) for p in points]
    AT = sp.zeros(m, n)
    for i in range(m):
        for j in range(n - 1):
            AT[i, j] = a[j] ** i
    AT[m - 1, n - 1] = 1
    G = sp.zeros(n, r)
    for j in range(n - 1):
        f = sp.prod([a[j] - a[l] for l in range(n - 1) if l != j])
        for k in range(r):
            G[j, k] = a[j] ** k / f
    G[n - 1, r - 1] = 1
    BT = sp.Matrix(n, n, lambda j, l: sp.Symbol(f'b{j}_{l}'))
    identity = [sum(AT[i, j] * G[j, k] * BT[j, l] for j in range(n)) - (1 if l == i + k else 0)
                for i in range(m) for k in range(r) for l in range(n)]
    solution = sp.solve(identity, list(BT), dict=True)
    if not solution:
        raise SystemExit('no Bᵀ satisfies the identity: are the points distinct?')
    BT = BT.subs(solution[0])
    if BT.free_symbols:
        raise SystemExit('Bᵀ is not unique for these points')
    return AT, G, BT


def float32_error(m: int, r: int, AT: sp.Matrix, G: sp.Matrix, BT: sp.Matrix, channels: int = 192,
                  blocks: int = 20, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    n = m + r - 1
    at, g_, bt = (np.array(M.tolist(), dtype=np.float64).astype(np.float32) for M in (AT, G, BT))
    worst = 0.0
    for _ in range(blocks):
        d = rng.standard_normal((channels, n, n)).astype(np.float32)
        w = rng.standard_normal((channels, r, r)).astype(np.float32)
        U = np.einsum('ij,cjk,lk->cil', g_, w, g_).astype(np.float32)
        V = np.einsum('ij,cjk,lk->cil', bt, d, bt).astype(np.float32)
        Y = at @ (U * V).sum(0, dtype=np.float32) @ at.T
        d64, w64 = d.astype(np.float64), w.astype(np.float64)
        ref = np.array([[(d64[:, y:y + r, x:x + r] * w64).sum() for x in range(m)] for y in range(m)])
        worst = max(worst, float(np.abs(Y - ref).max() / np.abs(ref).max()))
    return worst


def cpp(name: str, M: sp.Matrix) -> str:
    def number(x: sp.Rational) -> str:
        x = sp.Rational(x)
        return str(x.p) if x.q == 1 else f'{x.p}.f / {x.q}'
    rows = ', '.join('{' + ', '.join(number(x) for x in M.row(i)) + '}' for i in range(M.shape[0]))
    return f'static constexpr float {name}[{M.shape[0]}][{M.shape[1]}] = {{{rows}}};'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('m', type=int, help='output block side')
    parser.add_argument('r', type=int, help='filter side')
    parser.add_argument('points', help='comma-separated finite points, e.g. 0,1,-1,2,-1/2,1/2')
    args = parser.parse_args()
    AT, G, BT = toom_cook(args.m, args.r, args.points.split(','))
    for name, M in (('BT', BT), ('G', G), ('AT', AT)):
        print(cpp(name, M))
    print(f'// float32 error: {float32_error(args.m, args.r, AT, G, BT):.1e} relative')


if __name__ == '__main__':
    main()
