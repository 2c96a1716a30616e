;; Montgomery modular exponentiation kernel, hand-written WebAssembly text. `npm run build:wasm`
;; assembles it twice: with the lines between `;;#simd` and `;;#end` (the v128 build, used where
;; `WebAssembly.validate` accepts it) and with those between `;;#scalar` and `;;#end` (the fallback).
;;
;; Numbers are s limbs of L bits (L ≤ 28), one limb per u32 word, least significant first. The
;; caller picks L so that a column of 2s products of L-bit limbs plus the carry stays below 2^64:
;; then the product-scanning Montgomery product (FIPS, Koç–Acar–Kaliski) accumulates every
;; a_j·b_{i−j} and m_j·n_{i−j} of column i in one i64 (or i64x2 lanes) with no carry handling.
;; A squaring sums each a_j·a_{i−j}, j < i − j, once and doubles it (¾ of the products).
;;
;; Working areas (set by `setup`, laid out by the caller, s words each):
;;   A: a_j at A + 4j;  B: b_k at B + 4(s−1−k) (reversed: both walk upwards through a column);
;;   M: m_j at M + 4j;  N: n_k at N + 4(s−1−k);  T: the product before the final subtraction.
;; Constant time: the Montgomery product, its final subtraction (a mask, no branch) and the secret
;; exponentiation (a fixed number of products, every table entry read under a mask) depend on the
;; sizes only, never on the values.
(module
  (memory (export "memory") 2)
  (global $s (mut i32) (i32.const 0))
  (global $L (mut i64) (i64.const 0))
  (global $mask (mut i64) (i64.const 0))
  (global $ninv (mut i64) (i64.const 0))
  (global $A (mut i32) (i32.const 0))
  (global $B (mut i32) (i32.const 0))
  (global $M (mut i32) (i32.const 0))
  (global $N (mut i32) (i32.const 0))
  (global $T (mut i32) (i32.const 0))
  ;; Montgomery products since `setup` (tests check that the secret form's count depends on sizes only)
  (global $count (mut i32) (i32.const 0))
  (func (export "count") (result i32) (global.get $count))

  ;; n (s limbs at $n) is copied reversed into N; ninv = −n^−1 mod 2^L; areas A, B, M, N, T.
  (func (export "setup") (param $s i32) (param $L i32) (param $ninv i64) (param $n i32)
        (param $A i32) (param $B i32) (param $M i32) (param $N i32) (param $T i32)
    (global.set $s (local.get $s))
    (global.set $L (i64.extend_i32_u (local.get $L)))
    (global.set $mask (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $L))) (i64.const 1)))
    (global.set $ninv (local.get $ninv))
    (global.set $A (local.get $A))
    (global.set $B (local.get $B))
    (global.set $M (local.get $M))
    (global.set $N (local.get $N))
    (global.set $T (local.get $T))
    (global.set $count (i32.const 0))
    (call $reverse (local.get $N) (local.get $n)))

  ;; dst[s−1−j] = src[j]
  (func $reverse (param $dst i32) (param $src i32)
    (local $j i32) (local $top i32)
    (local.set $top (i32.add (local.get $dst) (i32.shl (i32.sub (global.get $s) (i32.const 1)) (i32.const 2))))
    (loop $c
      (i32.store (i32.sub (local.get $top) (i32.shl (local.get $j) (i32.const 2)))
        (i32.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))))
      (br_if $c (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (global.get $s)))))

  ;; acc + Σ_{k<cnt} x[k]·y[k] over u32 words at px, py (64-bit products)
;;#simd
  (func $column (param $acc i64) (param $px i32) (param $py i32) (param $cnt i32) (result i64)
    (local $v v128) (local $u v128) (local $x v128) (local $y v128)
    (if (i32.ge_u (local.get $cnt) (i32.const 8)) (then
      (loop $l8
        (local.set $x (v128.load (local.get $px)))
        (local.set $y (v128.load (local.get $py)))
        (local.set $v (i64x2.add (local.get $v) (i64x2.extmul_low_i32x4_u (local.get $x) (local.get $y))))
        (local.set $u (i64x2.add (local.get $u) (i64x2.extmul_high_i32x4_u (local.get $x) (local.get $y))))
        (local.set $x (v128.load offset=16 (local.get $px)))
        (local.set $y (v128.load offset=16 (local.get $py)))
        (local.set $v (i64x2.add (local.get $v) (i64x2.extmul_low_i32x4_u (local.get $x) (local.get $y))))
        (local.set $u (i64x2.add (local.get $u) (i64x2.extmul_high_i32x4_u (local.get $x) (local.get $y))))
        (local.set $px (i32.add (local.get $px) (i32.const 32)))
        (local.set $py (i32.add (local.get $py) (i32.const 32)))
        (br_if $l8 (i32.ge_u (local.tee $cnt (i32.sub (local.get $cnt) (i32.const 8))) (i32.const 8))))))
    (if (i32.ge_u (local.get $cnt) (i32.const 4)) (then
      (local.set $x (v128.load (local.get $px)))
      (local.set $y (v128.load (local.get $py)))
      (local.set $v (i64x2.add (local.get $v) (i64x2.extmul_low_i32x4_u (local.get $x) (local.get $y))))
      (local.set $u (i64x2.add (local.get $u) (i64x2.extmul_high_i32x4_u (local.get $x) (local.get $y))))
      (local.set $px (i32.add (local.get $px) (i32.const 16)))
      (local.set $py (i32.add (local.get $py) (i32.const 16)))
      (local.set $cnt (i32.sub (local.get $cnt) (i32.const 4)))))
    (if (i32.ge_u (local.get $cnt) (i32.const 2)) (then
      (local.set $v (i64x2.add (local.get $v)
        (i64x2.extmul_low_i32x4_u (v128.load64_zero (local.get $px)) (v128.load64_zero (local.get $py)))))
      (local.set $px (i32.add (local.get $px) (i32.const 8)))
      (local.set $py (i32.add (local.get $py) (i32.const 8)))
      (local.set $cnt (i32.sub (local.get $cnt) (i32.const 2)))))
    (if (local.get $cnt) (then
      (local.set $acc (i64.add (local.get $acc) (i64.mul (i64.load32_u (local.get $px)) (i64.load32_u (local.get $py)))))))
    (local.set $v (i64x2.add (local.get $v) (local.get $u)))
    (i64.add (local.get $acc) (i64.add (i64x2.extract_lane 0 (local.get $v)) (i64x2.extract_lane 1 (local.get $v)))))
;;#end
;;#scalar
  (func $column (param $acc i64) (param $px i32) (param $py i32) (param $cnt i32) (result i64)
    (if (i32.ge_u (local.get $cnt) (i32.const 4)) (then
      (loop $l4
        (local.set $acc (i64.add (local.get $acc)
          (i64.add
            (i64.add (i64.mul (i64.load32_u (local.get $px)) (i64.load32_u (local.get $py)))
                     (i64.mul (i64.load32_u offset=4 (local.get $px)) (i64.load32_u offset=4 (local.get $py))))
            (i64.add (i64.mul (i64.load32_u offset=8 (local.get $px)) (i64.load32_u offset=8 (local.get $py)))
                     (i64.mul (i64.load32_u offset=12 (local.get $px)) (i64.load32_u offset=12 (local.get $py)))))))
        (local.set $px (i32.add (local.get $px) (i32.const 16)))
        (local.set $py (i32.add (local.get $py) (i32.const 16)))
        (br_if $l4 (i32.ge_u (local.tee $cnt (i32.sub (local.get $cnt) (i32.const 4))) (i32.const 4))))))
    (block $done (loop $l1
      (br_if $done (i32.eqz (local.get $cnt)))
      (local.set $acc (i64.add (local.get $acc) (i64.mul (i64.load32_u (local.get $px)) (i64.load32_u (local.get $py)))))
      (local.set $px (i32.add (local.get $px) (i32.const 4)))
      (local.set $py (i32.add (local.get $py) (i32.const 4)))
      (local.set $cnt (i32.sub (local.get $cnt) (i32.const 1)))
      (br $l1)))
    (local.get $acc))
;;#end

  ;; Σ_{j = j0}^{h−1} 2·a_j·a_{i−j} (+ a_{i/2}² when i is even): column i of a² (A, and a reversed in B)
  (func $sqcol (param $i i32) (param $j0 i32) (result i64)
    (local $h i32) (local $r i64) (local $x i64)
    (local.set $h (i32.shr_u (i32.add (local.get $i) (i32.const 1)) (i32.const 1)))
    (if (i32.gt_u (local.get $h) (local.get $j0)) (then
      (local.set $r (i64.shl
        (call $column (i64.const 0)
          (i32.add (global.get $A) (i32.shl (local.get $j0) (i32.const 2)))
          (i32.add (global.get $B) (i32.shl (i32.sub (i32.add (i32.sub (global.get $s) (i32.const 1)) (local.get $j0)) (local.get $i)) (i32.const 2)))
          (i32.sub (local.get $h) (local.get $j0)))
        (i64.const 1)))))
    (if (i32.eqz (i32.and (local.get $i) (i32.const 1))) (then
      (local.set $x (i64.load32_u (i32.add (global.get $A) (i32.shl (i32.shr_u (local.get $i) (i32.const 1)) (i32.const 2)))))
      (local.set $r (i64.add (local.get $r) (i64.mul (local.get $x) (local.get $x))))))
    (local.get $r))

  ;; dst = a·b·R^−1 mod n (R = 2^(L·s)), for a, b < n; a = b is a squaring; dst may alias a or b.
  (func $mont (export "mont") (param $dst i32) (param $a i32) (param $b i32)
    (local $i i32) (local $j i32) (local $s i32) (local $acc i64) (local $m i64) (local $sq i32)
    (local $d i64) (local $borrow i64) (local $keep i64) (local $top i64) (local $off i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (local.set $s (global.get $s))
    (local.set $sq (i32.eq (local.get $a) (local.get $b)))
    (memory.copy (global.get $A) (local.get $a) (i32.shl (local.get $s) (i32.const 2)))
    (call $reverse (global.get $B) (local.get $b))
    ;; columns i = 0 … s−1: acc += Σ_{j≤i} a_j b_{i−j} + Σ_{j<i} m_j n_{i−j};
    ;; m_i = acc·n' mod 2^L makes acc + m_i n_0 ≡ 0 mod 2^L; acc ← (acc + m_i n_0) / 2^L
    (loop $lo
      (local.set $off (i32.shl (i32.sub (i32.sub (local.get $s) (i32.const 1)) (local.get $i)) (i32.const 2)))
      (if (local.get $sq)
        (then (local.set $acc (i64.add (local.get $acc) (call $sqcol (local.get $i) (i32.const 0)))))
        (else (local.set $acc (call $column (local.get $acc) (global.get $A)
          (i32.add (global.get $B) (local.get $off)) (i32.add (local.get $i) (i32.const 1))))))
      (local.set $acc (call $column (local.get $acc) (global.get $M)
        (i32.add (global.get $N) (local.get $off)) (local.get $i)))
      (local.set $m (i64.and (i64.mul (i64.and (local.get $acc) (global.get $mask)) (global.get $ninv)) (global.get $mask)))
      (i64.store32 (i32.add (global.get $M) (i32.shl (local.get $i) (i32.const 2))) (local.get $m))
      (local.set $acc (i64.shr_u
        (i64.add (local.get $acc)
          (i64.mul (local.get $m) (i64.load32_u (i32.add (global.get $N) (i32.shl (i32.sub (local.get $s) (i32.const 1)) (i32.const 2))))))
        (global.get $L)))
      (br_if $lo (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $s))))
    ;; columns s−1+j, j = 1 … s−1: terms j … s−1, giving t_{j−1}
    (local.set $j (i32.const 1))
    (if (i32.gt_u (local.get $s) (i32.const 1)) (then
      (loop $hi
        (local.set $off (i32.shl (local.get $j) (i32.const 2)))
        (if (local.get $sq)
          (then (local.set $acc (i64.add (local.get $acc)
            (call $sqcol (i32.add (i32.sub (local.get $s) (i32.const 1)) (local.get $j)) (local.get $j)))))
          (else (local.set $acc (call $column (local.get $acc) (i32.add (global.get $A) (local.get $off))
            (global.get $B) (i32.sub (local.get $s) (local.get $j))))))
        (local.set $acc (call $column (local.get $acc) (i32.add (global.get $M) (local.get $off))
          (global.get $N) (i32.sub (local.get $s) (local.get $j))))
        (i64.store32 (i32.add (global.get $T) (i32.sub (local.get $off) (i32.const 4)))
          (i64.and (local.get $acc) (global.get $mask)))
        (local.set $acc (i64.shr_u (local.get $acc) (global.get $L)))
        (br_if $hi (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $s))))))
    (i64.store32 (i32.add (global.get $T) (i32.shl (i32.sub (local.get $s) (i32.const 1)) (i32.const 2)))
      (i64.and (local.get $acc) (global.get $mask)))
    (local.set $top (i64.shr_u (local.get $acc) (global.get $L)))
    ;; t = top·R + T < 2n: dst = t − n if t ≥ n else t, chosen by a mask
    (local.set $j (i32.const 0))
    (loop $b1
      (local.set $borrow (i64.shr_u
        (i64.sub (i64.sub (i64.load32_u (i32.add (global.get $T) (i32.shl (local.get $j) (i32.const 2))))
                          (i64.load32_u (i32.add (global.get $N) (i32.shl (i32.sub (i32.sub (local.get $s) (i32.const 1)) (local.get $j)) (i32.const 2)))))
                 (local.get $borrow))
        (i64.const 63)))
      (br_if $b1 (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $s))))
    ;; keep = all ones when top − borrow < 0, i.e. t < n
    (local.set $keep (i64.shr_s (i64.sub (local.get $top) (local.get $borrow)) (i64.const 63)))
    (local.set $borrow (i64.const 0))
    (local.set $j (i32.const 0))
    (loop $b2
      (local.set $m (i64.load32_u (i32.add (global.get $T) (i32.shl (local.get $j) (i32.const 2)))))
      (local.set $d (i64.sub (i64.sub (local.get $m)
                          (i64.load32_u (i32.add (global.get $N) (i32.shl (i32.sub (i32.sub (local.get $s) (i32.const 1)) (local.get $j)) (i32.const 2)))))
                 (local.get $borrow)))
      (local.set $borrow (i64.shr_u (local.get $d) (i64.const 63)))
      (i64.store32 (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2)))
        (i64.or (i64.and (local.get $m) (local.get $keep))
                (i64.and (i64.and (local.get $d) (global.get $mask)) (i64.xor (local.get $keep) (i64.const -1)))))
      (br_if $b2 (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $s)))))

  ;; w-bit digit of the exponent (u32 words at $e, zero words past the end) at bit $p.
  (func $digit (param $e i32) (param $p i32) (param $w i32) (result i32)
    (i32.wrap_i64 (i64.and
      (i64.shr_u (i64.load (i32.add (local.get $e) (i32.shl (i32.shr_u (local.get $p) (i32.const 5)) (i32.const 2))))
                 (i64.extend_i32_u (i32.and (local.get $p) (i32.const 31))))
      (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $w))) (i64.const 1)))))

  ;; sel = OR_k (tab[k] AND (k = d ? all ones : 0)), k < size: every entry read, no index from d.
;;#simd
  (func $select (param $sel i32) (param $tab i32) (param $d i32) (param $size i32) (param $stride i32)
    (local $j i32) (local $k i32) (local $v v128) (local $ent i32) (local $mk v128)
    (loop $chunk
      (local.set $v (v128.const i64x2 0 0))
      (local.set $ent (i32.add (local.get $tab) (local.get $j)))
      (local.set $k (i32.const 0))
      (loop $scan
        (local.set $mk (i32x4.splat (i32.sub (i32.const 0) (i32.eq (local.get $k) (local.get $d)))))
        (local.set $v (v128.or (local.get $v) (v128.and (v128.load (local.get $ent)) (local.get $mk))))
        (local.set $ent (i32.add (local.get $ent) (local.get $stride)))
        (br_if $scan (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $size))))
      (v128.store (i32.add (local.get $sel) (local.get $j)) (local.get $v))
      (br_if $chunk (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 16))) (local.get $stride)))))
;;#end
;;#scalar
  (func $select (param $sel i32) (param $tab i32) (param $d i32) (param $size i32) (param $stride i32)
    (local $j i32) (local $k i32) (local $v i64) (local $ent i32) (local $mk i64)
    (loop $chunk
      (local.set $v (i64.const 0))
      (local.set $ent (i32.add (local.get $tab) (local.get $j)))
      (local.set $k (i32.const 0))
      (loop $scan
        (local.set $mk (i64.sub (i64.const 0) (i64.extend_i32_u (i32.eq (local.get $k) (local.get $d)))))
        (local.set $v (i64.or (local.get $v) (i64.and (i64.load (local.get $ent)) (local.get $mk))))
        (local.set $ent (i32.add (local.get $ent) (local.get $stride)))
        (br_if $scan (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $size))))
      (i64.store (i32.add (local.get $sel) (local.get $j)) (local.get $v))
      (br_if $chunk (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 8))) (local.get $stride)))))
;;#end

  ;; out = base^e mod n by a fixed window of w bits over nbits ≥ 1 exponent bits.
  ;; tab: 2^w entries of stride = 4s rounded up to 16 bytes, 16-byte aligned; acc, sel: s limbs (sel: stride); r2 = R² mod n; one = the number 1; base < n.
  ;; secret ≠ 0: w squarings and one product per window whatever the digits, each table entry read
  ;; under a mask; otherwise zero digits skip their product and the digit indexes the table.
  (func (export "pow") (param $out i32) (param $base i32) (param $e i32) (param $nbits i32) (param $w i32)
        (param $secret i32) (param $tab i32) (param $acc i32) (param $sel i32) (param $r2 i32) (param $one i32)
    (local $bytes i32) (local $k i32) (local $size i32) (local $p i32) (local $d i32) (local $i i32)
    (local $stride i32)
    (local.set $bytes (i32.shl (global.get $s) (i32.const 2)))
    (local.set $stride (i32.and (i32.add (local.get $bytes) (i32.const 15)) (i32.const -16)))
    (local.set $size (i32.shl (i32.const 1) (local.get $w)))
    ;; tab[0] = R mod n, tab[1] = base·R mod n, tab[k] = tab[k−1]·tab[1]
    (call $mont (local.get $tab) (local.get $r2) (local.get $one))
    (call $mont (i32.add (local.get $tab) (local.get $stride)) (local.get $base) (local.get $r2))
    (local.set $k (i32.const 2))
    (block $done (loop $t
      (br_if $done (i32.ge_u (local.get $k) (local.get $size)))
      (call $mont (i32.add (local.get $tab) (i32.mul (local.get $k) (local.get $stride)))
        (i32.add (local.get $tab) (i32.mul (i32.sub (local.get $k) (i32.const 1)) (local.get $stride)))
        (i32.add (local.get $tab) (local.get $stride)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $t)))
    ;; p = bit position just above the top window
    (local.set $p (i32.mul (i32.div_u (i32.sub (i32.add (local.get $nbits) (local.get $w)) (i32.const 1)) (local.get $w)) (local.get $w)))
    (if (local.get $secret)
      (then
        (memory.copy (local.get $acc) (local.get $tab) (local.get $bytes))
        (loop $win
          (local.set $p (i32.sub (local.get $p) (local.get $w)))
          (local.set $i (i32.const 0))
          (loop $sq
            (call $mont (local.get $acc) (local.get $acc) (local.get $acc))
            (br_if $sq (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $w))))
          (local.set $d (call $digit (local.get $e) (local.get $p) (local.get $w)))
          (call $select (local.get $sel) (local.get $tab) (local.get $d) (local.get $size) (local.get $stride))
          (call $mont (local.get $acc) (local.get $acc) (local.get $sel))
          (br_if $win (local.get $p))))
      (else
        (local.set $p (i32.sub (local.get $p) (local.get $w)))
        (memory.copy (local.get $acc)
          (i32.add (local.get $tab) (i32.mul (call $digit (local.get $e) (local.get $p) (local.get $w)) (local.get $stride)))
          (local.get $bytes))
        (block $end (loop $win
          (br_if $end (i32.eqz (local.get $p)))
          (local.set $p (i32.sub (local.get $p) (local.get $w)))
          (local.set $i (i32.const 0))
          (loop $sq
            (call $mont (local.get $acc) (local.get $acc) (local.get $acc))
            (br_if $sq (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $w))))
          (local.set $d (call $digit (local.get $e) (local.get $p) (local.get $w)))
          (if (local.get $d)
            (then (call $mont (local.get $acc) (local.get $acc)
              (i32.add (local.get $tab) (i32.mul (local.get $d) (local.get $stride))))))
          (br $win)))))
    ;; out of Montgomery form: acc·1·R^−1
    (call $mont (local.get $out) (local.get $acc) (local.get $one)))

  ;; out = Π_i row_i[d_i] mod n, then out of Montgomery form: the fixed-base comb. tab holds nrows rows
  ;; of 2^w entries, row i entry d = g^(d·2^(w·i))·R mod n (entry 0 = R mod n), stride as in pow;
  ;; d_i = the w-bit digit of e at bit w·i. Every row takes one masked scan of all its entries and
  ;; one product, whatever the digits: nrows + 1 products, no squaring, no index from the exponent.
  (func (export "comb") (param $out i32) (param $e i32) (param $nrows i32) (param $w i32) (param $tab i32)
        (param $acc i32) (param $sel i32) (param $one i32)
    (local $i i32) (local $size i32) (local $stride i32) (local $row i32) (local $bytes i32)
    (local.set $bytes (i32.shl (global.get $s) (i32.const 2)))
    (local.set $stride (i32.and (i32.add (local.get $bytes) (i32.const 15)) (i32.const -16)))
    (local.set $size (i32.shl (i32.const 1) (local.get $w)))
    (local.set $row (i32.mul (local.get $size) (local.get $stride)))
    (memory.copy (local.get $acc) (local.get $tab) (local.get $bytes))
    (loop $rows
      (call $select (local.get $sel) (local.get $tab)
        (call $digit (local.get $e) (i32.mul (local.get $i) (local.get $w)) (local.get $w))
        (local.get $size) (local.get $stride))
      (call $mont (local.get $acc) (local.get $acc) (local.get $sel))
      (local.set $tab (i32.add (local.get $tab) (local.get $row)))
      (br_if $rows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $nrows))))
    (call $mont (local.get $out) (local.get $acc) (local.get $one)))
)
