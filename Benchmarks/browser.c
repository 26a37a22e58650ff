/* The benchmark's browser: as cheap as a browser that is already running, so neither tool's
   time includes a browser starting. Detaches at once (a browser command returns while the
   browser works), GETs the authorization URL from the fakes, then follows its Location
   to the tool's loopback listener. Plain http on 127.0.0.1 only. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* GET http://127.0.0.1:PORT/PATH; copies the Location header, if any, into location. */
static void get(const char *url, char *location, size_t size) {
    int port = 0;
    char path[4096];
    if (sscanf(url, "http://127.0.0.1:%d%4095s", &port, path) != 2) return;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) { close(fd); return; }
    char request[8192];
    int length = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n", path, port);
    if (write(fd, request, (size_t)length) != length) { close(fd); return; }
    char answer[16384];
    size_t used = 0;
    ssize_t got;
    while (used < sizeof answer - 1 && (got = read(fd, answer + used, sizeof answer - 1 - used)) > 0) used += (size_t)got;
    answer[used] = 0;
    close(fd);
    char *header = strstr(answer, "\r\nLocation: ");
    if (location && header) {
        header += 12;
        size_t n = strcspn(header, "\r\n");
        if (n < size) { memcpy(location, header, n); location[n] = 0; }
    }
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    if (fork() != 0) return 0;
    char location[8192] = "";
    get(argv[1], location, sizeof location);
    if (location[0]) get(location, NULL, 0);
    return 0;
}
