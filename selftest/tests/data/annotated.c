/* Programs annotated the way the kernel's verifier selftests annotate theirs: expectations
 * as BTF declaration tags on the program's function. Written for bpfprove's tests (the tag
 * spellings are the test loader's interface; nothing here comes from the kernel's files). */

#define SEC(name) __attribute__((section(name), used))
#define tag(text) __attribute__((btf_decl_tag("comment:" text)))
#define expect_success tag("test_expect_success")
#define expect_failure tag("test_expect_failure")
#define expect_message(n, text) tag("test_expect_msg=" #n "=" text)
#define expect_retval(value) tag("test_retval=" #value)
#define expect_failure_unpriv tag("test_expect_failure_unpriv")
#define auxiliary tag("test_auxiliary")
#define only_on_arm64 tag("test_arch=ARM64")
#define described(text) tag("test_description=" text)

/* Safe, returns 7: agrees, and its run returns what it expects. */
SEC("socket") expect_success expect_retval(7) described("returns seven")
__attribute__((naked)) void returns_seven(void)
{
	asm volatile("r0 = 7; exit;" ::: "memory");
}

/* Reads above the stack frame: the verdict agrees with the expected failure. */
SEC("socket") expect_failure expect_message(1, "invalid read from stack")
__attribute__((naked)) void reads_above_the_frame(void)
{
	asm volatile("r0 = *(u64 *)(r10 + 8); exit;" ::: "memory");
}

/* No tag at all: expects success, and is safe. */
SEC("socket")
__attribute__((naked)) void untagged_safe(void)
{
	asm volatile("r0 = 0; exit;" ::: "memory");
}

/* Mis-annotated on purpose: safe, yet said to fail, so bpfprove must disagree (a PASS
 * where failure is expected, presumed a memory-safety rule without a message). */
SEC("socket") expect_failure
__attribute__((naked)) void safe_but_expected_to_fail(void)
{
	asm volatile("r0 = 1; exit;" ::: "memory");
}

/* Mis-annotated on purpose: returns 7, said to return 8. */
SEC("socket") expect_success expect_retval(8)
__attribute__((naked)) void returns_seven_not_eight(void)
{
	asm volatile("r0 = 7; exit;" ::: "memory");
}

/* A tracepoint program: no test run, but the live kernel can still give its verdict. */
SEC("tracepoint/syscalls/sys_enter_getpid") expect_success
__attribute__((naked)) void tracepoint_safe(void)
{
	asm volatile("r0 = 0; exit;" ::: "memory");
}

/* Not tests here: a helper program of others, one for another architecture, and one tested
 * unprivileged only. */
SEC("socket") auxiliary
__attribute__((naked)) void helper_program(void)
{
	asm volatile("r0 = 0; exit;" ::: "memory");
}

SEC("socket") only_on_arm64 expect_success
__attribute__((naked)) void arm64_only(void)
{
	asm volatile("r0 = 0; exit;" ::: "memory");
}

SEC("socket") expect_failure_unpriv
__attribute__((naked)) void unprivileged_only(void)
{
	asm volatile("r0 = 0; exit;" ::: "memory");
}

char _license[] SEC("license") = "GPL";
