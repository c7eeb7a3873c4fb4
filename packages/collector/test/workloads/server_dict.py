# The tutorial's optimized server (dict lookup) (docs seed: perforator-python-tutorial.md), with the port taken from argv or
# $PORT so tests can pick a free one (0 = any free port), bound to loopback, and the real port printed.
import http.server
import socketserver
import os
import sys
from urllib.parse import urlparse, parse_qs

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("PORT", "9007"))

# Create a large sorted array of user IDs (not necessarily consecutive)
user_ids = list(range(1, 1000000, 2))  # Example: [1, 3, 5, ..., 999999]

# Build a dictionary for quick lookup
user_id_dict = {user_id: True for user_id in user_ids}

# Global variable to count the number of requests
request_count = 0

def increment_request_count():
    global request_count
    request_count += 1

def search_user(arr, target):
    return user_id_dict.get(target, False)

class UserIDSearchHandler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        increment_request_count()

        if self.path.startswith('/search_user'):
            query_components = parse_qs(urlparse(self.path).query)
            user_id = int(query_components.get("user_id", [0])[0])

            exists = search_user(user_ids, user_id)

            self.send_response(200)
            self.send_header("Content-type", "text/plain")
            self.end_headers()
            if exists:
                response = f"The user {user_id} exists. Request ID: {request_count}\n"
            else:
                response = f"The user {user_id} does not exist. Request ID: {request_count}\n"
            self.wfile.write(response.encode())
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, format, *args):
        pass  # keep test and benchmark output quiet

def run(server_class=http.server.HTTPServer, handler_class=UserIDSearchHandler):
    with server_class(("127.0.0.1", PORT), handler_class) as httpd:
        print(f"Serving on port {httpd.server_address[1]}", flush=True)
        httpd.serve_forever()

if __name__ == "__main__":
    print(f"My pid is {os.getpid()}", flush=True)
    run()
