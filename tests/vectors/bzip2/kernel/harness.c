/* Runs the kernel's bunzip2() (lib/decompress_bunzip2.c, included from a
 * kernel tree) as unpack_to_rootfs() calls it: fill NULL, outbuf NULL, a
 * flush that accepts a given number of buffers, &my_inptr, error().
 *
 * stdin: records of [u32 length][u32 buffers flush() accepts][bytes], little
 * endian. stdout, one line per record:
 *   <return value> <my_inptr> <flushes accepted> <bytes> <fnv1a32> <message or ->
 * or "crash" when the kernel's code faulted (undefined behaviour on hostile
 * input). Each record is decoded in a child process, with 16 MiB of zeros
 * after the input, which the kernel's bit reader goes on reading when the
 * input ends (inbufCount is left at -1 by nofill()).
 *
 *   cc -O2 -fwrapv -fno-strict-aliasing -fsanitize=address -w -DSTATIC=static \
 *      -I tests/vectors/bzip2/kernel -DBUNZIP2='"KERNEL/lib/decompress_bunzip2.c"' \
 *      tests/vectors/bzip2/kernel/harness.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include BUNZIP2

#define TAIL (16u << 20)

static unsigned long accepted, limit_flushes, total;
static unsigned int fnv;
static const char *message;

static long flush_out(void *buf, unsigned long n)
{
	const unsigned char *p = buf;

	if (accepted >= limit_flushes)
		return -1;
	accepted++;
	total += n;
	for (unsigned long k = 0; k < n; k++)
		fnv = (fnv ^ p[k]) * 16777619u;
	return n;
}

static void record_error(char *x)
{
	if (!message)
		message = x;
}

int main(void)
{
	unsigned int hdr[2];

	while (fread(hdr, 4, 2, stdin) == 2) {
		unsigned char *buf = calloc((size_t)hdr[0] + TAIL, 1);
		int status;
		pid_t child;

		if (!buf || (hdr[0] && fread(buf, 1, hdr[0], stdin) != hdr[0]))
			return 1;
		fflush(stdout);
		child = fork();
		if (child == 0) {
			long pos = 0;
			int r;

			limit_flushes = hdr[1];
			fnv = 2166136261u;
			r = bunzip2(buf, hdr[0], NULL, flush_out, NULL, &pos, record_error);
			printf("%d %ld %lu %lu %u %s\n", r, pos, accepted, total, fnv,
			       message ? message : "-");
			fflush(stdout);
			_exit(0);
		}
		waitpid(child, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			printf("crash\n");
			fflush(stdout);
		}
		free(buf);
	}
	return 0;
}
