/* The pod sandbox's process: holds the pod's namespaces open and does nothing else. As PID 1 of a pod that shares
 * its process namespace it reaps orphaned children; it exits cleanly on SIGINT or SIGTERM. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void quit(int sig) { (void)sig; _exit(0); }

static void reap(int sig)
{
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

int main(void)
{
    struct sigaction on_quit = { .sa_handler = quit };
    struct sigaction on_child = { .sa_handler = reap, .sa_flags = SA_NOCLDSTOP };
    sigaction(SIGINT, &on_quit, NULL);
    sigaction(SIGTERM, &on_quit, NULL);
    sigaction(SIGCHLD, &on_child, NULL);
    for (;;)
        pause();
}
