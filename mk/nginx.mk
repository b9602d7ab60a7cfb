# The SDK against a real nginx (issue 14): tests/nginx/. `make nginx-test`
# runs Debian's nginx unprivileged from a config generated under
# $(BUILD)/nginx/run (pid, logs, temp files there; free 127.0.0.1 and ::1
# ports) as a reverse proxy and TLS terminator (OpenSSL) in front of the
# emulator, and the SDK through it over the POSIX port (plain) and the
# mbedTLS port (TLS): proxying, an IPv6 literal host, name-based virtual
# hosts, keepalive_requests / keepalive_timeout closes, nginx's chunked
# framing, its error pages. A make check stage.

DEB_PKGS     += nginx openssl python3 libcmocka-dev libmbedtls-dev
CHECK_STAGES += nginx-test
.PHONY: nginx-test

NGINX_DIR := $(BUILD)/nginx

$(NGINX_DIR):
	mkdir -p $@

$(NGINX_DIR)/test_nginx: tests/nginx/test_nginx.c $(HDRS) | $(NGINX_DIR)
	$(CC) $(STRICT) $(CFLAGS) -I. -o $@ $< -lcmocka -lmbedtls -lmbedx509 -lmbedcrypto

nginx-test: $(NGINX_DIR)/test_nginx
	bash tests/nginx/run.sh $(NGINX_DIR) $(NGINX_DIR)/test_nginx
