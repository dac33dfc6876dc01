/* cgroup/getsockopt and cgroup/setsockopt: setsockopt(SOL_IP, IP_TOS) is clamped to a
 * ceiling by rewriting the option buffer (bounds-checked against optval_end);
 * getsockopt(SOL_SOCKET, SO_MARK) reports the value the kernel produced, and other options
 * are passed through unchanged. */
#include "bpf_types.h"

#define TOS_CEILING 0x10

SEC("cgroup/setsockopt")
int setsockopt_tos_clamp(struct bpf_sockopt *ctx)
{
	u8 *optval = ctx->optval;
	u8 *optval_end = ctx->optval_end;

	if (ctx->level != SOL_IP || ctx->optname != IP_TOS)
		return 1;
	if (optval + 1 > optval_end)
		return 1;
	if (optval[0] > TOS_CEILING)
		optval[0] = TOS_CEILING;
	return 1;
}

SEC("cgroup/getsockopt")
int getsockopt_mark(struct bpf_sockopt *ctx)
{
	u32 *optval = ctx->optval;
	u32 *optval_end = ctx->optval_end;

	if (ctx->level != SOL_SOCKET || ctx->optname != SO_MARK)
		return 1;
	if (optval + 1 > optval_end)
		return 1;
	if (ctx->retval != 0)
		return 1;
	if (*optval == 0xdead)
		*optval = 0;
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
