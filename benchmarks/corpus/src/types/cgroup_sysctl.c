/* cgroup/sysctl: refuses writes to net/ipv4/ip_forward-like knobs whose new value is above
 * a limit; reads the sysctl's name and its current value and parses it with bpf_strtoul. */
#include "bpf_types.h"

SEC("cgroup/sysctl")
int sysctl_limit(struct bpf_sysctl *ctx)
{
	char name[32];
	char value[16];
	unsigned long parsed = 0;
	long n;

	if (!ctx->write)
		return 1;
	n = bpf_sysctl_get_name(ctx, name, sizeof(name), 0);
	if (n < 0)
		return 1;
	if (name[0] != 'n' || name[1] != 'e' || name[2] != 't')
		return 1;
	n = bpf_sysctl_get_current_value(ctx, value, sizeof(value));
	if (n < 0)
		return 1;
	if (bpf_strtoul(value, sizeof(value), 0, &parsed) < 0)
		return 1;
	return parsed <= 1;
}

char LICENSE[] SEC("license") = "GPL";
