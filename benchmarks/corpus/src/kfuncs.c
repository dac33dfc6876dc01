/* Kfunc calls: externs declared __ksym, which clang calls as `call -1` relocated against an
 * undefined symbol. The loader turns them into kfunc calls; the analyzer checks them against
 * analyzer/spec/kfuncs.toml. */
#include "bpf_corpus.h"

/* A kfunc with an implicit trailing argument (Linux's KF_IMPLICIT_ARGS selftest kfunc): the
 * kernel's prototype is `int bpf_kfunc_implicit_arg(int a, struct bpf_prog_aux *aux)`; the
 * program passes only `a` and the verifier supplies `aux`. It returns `a`. */
extern int bpf_kfunc_implicit_arg(int a) __ksym;

/* Deliberately declared with one parameter too few: the kernel's visible prototype is
 * `(int a, int b)`, followed by the implicit `aux`, so a call leaves `b` (r2) unset. */
extern int bpf_kfunc_implicit_arg_legacy(int a) __ksym;

SEC("tc")
int tc_kfunc_implicit(struct __sk_buff *skb)
{
	/* r1 = skb->len; r2-r5 are never written before the call. */
	int len = bpf_kfunc_implicit_arg(skb->len);

	return len > 1500 ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int tc_kfunc_missing_arg(struct __sk_buff *skb)
{
	int sum = bpf_kfunc_implicit_arg_legacy(skb->len);

	return sum > 1500 ? TC_ACT_SHOT : TC_ACT_OK;
}
