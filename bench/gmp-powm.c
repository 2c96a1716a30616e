/*
 * GMP reference for the modexp targets (issue 3: native within 1.5× of mpz_powm, portable within 4×),
 * measured on the same machine as `npm run bench -- --filter modexp`. Not part of the package.
 *
 *   gcc -O2 bench/gmp-powm.c -o /tmp/gmp-powm -lgmp && /tmp/gmp-powm
 */
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}
static void bench(const char *name, int mod_bits, int exp_bits, int runs) {
  gmp_randstate_t st;
  gmp_randinit_default(st);
  gmp_randseed_ui(st, (unsigned long)(mod_bits * 7 + exp_bits));
  mpz_t m, e, b, r;
  mpz_inits(m, e, b, r, NULL);
  mpz_urandomb(m, st, mod_bits);
  mpz_setbit(m, mod_bits - 1);
  mpz_setbit(m, 0);
  mpz_urandomb(e, st, exp_bits);
  mpz_setbit(e, exp_bits - 1);
  mpz_urandomm(b, st, m);
  double *t = malloc(sizeof(double) * runs);
  for (int i = 0; i < runs; i++) {
    double s = now_ms();
    mpz_powm(r, b, e, m);
    t[i] = now_ms() - s;
  }
  qsort(t, runs, sizeof(double), cmp);
  double s = now_ms();
  for (int i = 0; i < runs; i++) mpz_powm_sec(r, b, e, m);
  printf("%-12s mpz_powm median %.3f ms   mpz_powm_sec mean %.3f ms\n", name, t[runs / 2], (now_ms() - s) / runs);
  free(t);
  mpz_clears(m, e, b, r, NULL);
  gmp_randclear(st);
}
int main(void) {
  bench("modexp/2048", 2048, 2048, 200);
  bench("modexp/4096", 4096, 2048, 60);
  bench("modexp/1024", 1024, 1024, 500);
  return 0;
}
