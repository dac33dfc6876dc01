/* uprobe on a user function taking a C string: copies up to 64 bytes of it into a ring-buffer
 * record with the pid. */
#include "bpf_types.h"

struct event {
	u32 pid;
	u32 len;
	char text[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("uprobe//usr/lib/x86_64-linux-gnu/libc.so.6:puts")
int uprobe_puts(struct pt_regs *ctx)
{
	const char *text = (const char *)PT_REGS_PARM1(ctx);
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	long n;

	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	n = bpf_probe_read_user_str(e->text, sizeof(e->text), text);
	e->len = n > 0 ? n : 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
