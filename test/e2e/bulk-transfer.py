"""Bulk TCP transfers for the offload end-to-end test.

serve PORT: for each connection, read one line: "up" (then read to EOF and answer the
SHA-256 of what arrived) or "down N SEED" (send N bytes of the seeded stream, then close).
up HOST PORT N SEED / down HOST PORT N SEED: the client side; prints the SHA-256 of the
bytes sent or received and, for "up", the server's answer, as JSON.
"""
import hashlib
import json
import random
import socket
import sys
import threading


def stream(n, seed):
    rng = random.Random(seed)
    chunk = 64 * 1024
    while n > 0:
        size = min(chunk, n)
        yield rng.randbytes(size)
        n -= size


def handle(conn):
    with conn:
        reader = conn.makefile("rb")
        command = reader.readline().decode().split()
        if command[0] == "up":
            digest = hashlib.sha256()
            while block := reader.read1(65536):
                digest.update(block)
            conn.sendall(digest.hexdigest().encode())
        else:
            for block in stream(int(command[1]), int(command[2])):
                conn.sendall(block)


def serve(port):
    listener = socket.create_server(("0.0.0.0", port), reuse_port=True)
    print("listening", flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def client(mode, host, port, n, seed):
    digest = hashlib.sha256()
    with socket.create_connection((host, port), timeout=60) as conn:
        if mode == "up":
            conn.sendall(b"up\n")
            for block in stream(n, seed):
                digest.update(block)
                conn.sendall(block)
            conn.shutdown(socket.SHUT_WR)
            answer = b""
            while block := conn.recv(4096):
                answer += block
            print(json.dumps({"sent": digest.hexdigest(), "arrived": answer.decode()}))
        else:
            conn.sendall(f"down {n} {seed}\n".encode())
            received = 0
            while block := conn.recv(65536):
                digest.update(block)
                received += len(block)
            expected = hashlib.sha256(b"".join(stream(n, seed))).hexdigest()
            print(json.dumps({"sent": expected, "arrived": digest.hexdigest(), "bytes": received}))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    else:
        client(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
