/* Indirect calls (`callx`) through function pointers: chosen on a branch, passed in a struct
 * on the stack to a noinline function, taken from a const call table with a bounded index
 * (by comparison and by mask), from a const "vtable" struct, and from a global variable with
 * a NULL check. */
#include "bpf_corpus.h"

typedef int (*handler_fn)(struct xdp_md *ctx, u32 arg);

static __noinline int handle_pass(struct xdp_md *ctx, u32 arg)
{
	return arg > 1000 ? XDP_DROP : XDP_PASS;
}

static __noinline int handle_drop(struct xdp_md *ctx, u32 arg)
{
	return XDP_DROP;
}

static __noinline int handle_tx(struct xdp_md *ctx, u32 arg)
{
	return (arg & 1) ? XDP_TX : XDP_PASS;
}

static __noinline int handle_len(struct xdp_md *ctx, u32 arg)
{
	return ctx->data_end - ctx->data > arg ? XDP_PASS : XDP_DROP;
}

static __always_inline u32 first_word(struct xdp_md *ctx, int *ok)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *data_end = (void *)(long)ctx->data_end;
	*ok = data + 4 <= data_end;
	return *ok ? *(u32 *)data : 0;
}

SEC("xdp")
int callx_branch(struct xdp_md *ctx)
{
	int ok;
	u32 word = first_word(ctx, &ok);
	if (!ok)
		return XDP_DROP;
	handler_fn fn = handle_pass;
	if (word & 0x100)
		fn = handle_tx;
	barrier_var(fn);
	return fn(ctx, word);
}

struct dispatch {
	handler_fn fn;
	u32 arg;
	u32 flags;
};

static __noinline int run_dispatch(struct xdp_md *ctx, struct dispatch *d)
{
	if (d->flags & 1)
		return d->fn(ctx, d->arg + 1);
	return d->fn(ctx, d->arg);
}

SEC("xdp")
int callx_struct(struct xdp_md *ctx)
{
	int ok;
	u32 word = first_word(ctx, &ok);
	struct dispatch d = { .fn = ok ? handle_len : handle_drop, .arg = word >> 8, .flags = word };
	return run_dispatch(ctx, &d);
}

static const handler_fn handlers[4] = { handle_pass, handle_drop, handle_tx, handle_len };

SEC("xdp")
int callx_table(struct xdp_md *ctx)
{
	int ok;
	u32 word = first_word(ctx, &ok);
	if (!ok)
		return XDP_DROP;
	u32 index = word >> 24;
	if (index >= 4)
		return XDP_PASS;
	return handlers[index](ctx, word);
}

SEC("xdp")
int callx_table_masked(struct xdp_md *ctx)
{
	int ok;
	u32 word = first_word(ctx, &ok);
	if (!ok)
		return XDP_DROP;
	return handlers[word & 3](ctx, word >> 2);
}

struct proto_ops {
	handler_fn on_tcp;
	handler_fn on_udp;
	handler_fn on_other;
};

static const struct proto_ops default_ops = {
	.on_tcp = handle_tx,
	.on_udp = handle_pass,
	.on_other = handle_drop,
};

SEC("xdp")
int callx_vtable(struct xdp_md *ctx)
{
	int ok;
	u32 word = first_word(ctx, &ok);
	if (!ok)
		return XDP_DROP;
	const struct proto_ops *ops = &default_ops;
	barrier_var(ops);
	u8 proto = word & 0xff;
	if (proto == IPPROTO_TCP)
		return ops->on_tcp(ctx, word);
	if (proto == IPPROTO_UDP)
		return ops->on_udp(ctx, word);
	return ops->on_other(ctx, word);
}

/* Installed by the first packet that asks for it; NULL until then. */
static handler_fn installed_handler;

SEC("xdp")
int callx_global(struct xdp_md *ctx)
{
	int ok;
	u32 word = first_word(ctx, &ok);
	if (!ok)
		return XDP_DROP;
	if (word == 0xfeedf00d)
		installed_handler = handle_tx;
	handler_fn fn = *(handler_fn volatile *)&installed_handler;
	if (fn)
		return fn(ctx, word);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
