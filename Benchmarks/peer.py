"""The peer: what a user would script instead of ceauth, with google-auth-oauthlib's
run_local_server (browser, loopback listener, code redemption) and requests (POST /instances),
then the same keyfile. Reads the same environment variables as ceauth, plus CEAUTH_TOKEN_URL.

Usage: peer.py ELEMENT --keyfile PATH
"""
import argparse
import json
import os
import sys

import requests
from google_auth_oauthlib.flow import InstalledAppFlow

SCOPES = {
    "gmail": ["https://mail.google.com/", "https://www.googleapis.com/auth/gmail.settings.basic"],
    "googlecalendar": ["https://www.googleapis.com/auth/calendar"],
}


def main():
    parser = argparse.ArgumentParser(prog="peer", description="Create a Cloud Elements instance for a Google element.")
    parser.add_argument("element", choices=sorted(SCOPES))
    parser.add_argument("--keyfile", required=True, help="where to save the instance")
    args = parser.parse_args()
    env = os.environ
    config = {"installed": {"client_id": env["CEAUTH_CLIENT_ID"], "client_secret": env["CEAUTH_CLIENT_SECRET"],
                            "auth_uri": env["CEAUTH_AUTHORIZE_URL"], "token_uri": env["CEAUTH_TOKEN_URL"]}}
    flow = InstalledAppFlow.from_client_config(config, scopes=SCOPES[args.element])
    credentials = flow.run_local_server(host="127.0.0.1", port=0, open_browser=True, access_type="offline",
                                        prompt="consent", authorization_prompt_message="{url}", success_message="Done.")
    body = {"element": {"key": args.element}, "name": args.element + " via peer", "externalAuthentication": "initial",
            "configuration": {"oauth.api.key": env["CEAUTH_CLIENT_ID"], "oauth.api.secret": env["CEAUTH_CLIENT_SECRET"],
                              "oauth.user.refresh_token": credentials.refresh_token, "oauth.user.token": credentials.token}}
    authorization = "User {}, Organization {}".format(env["CEAUTH_USER_SECRET"], env["CEAUTH_ORG_SECRET"])
    response = requests.post(env["CEAUTH_BASE_URL"] + "/instances", json=body, headers={"Authorization": authorization},
                             timeout=60)
    response.raise_for_status()
    instance = response.json()
    document = {"instances": []}
    if os.path.exists(args.keyfile):
        with open(args.keyfile) as f:
            document = json.load(f)
    entry = {"name": instance["name"], "id": instance["id"], "token": instance["token"], "element": args.element,
             "baseUrl": env["CEAUTH_BASE_URL"]}
    document["instances"].append(entry)
    temporary = args.keyfile + ".tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(document, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.rename(temporary, args.keyfile)
    print(json.dumps(entry))


if __name__ == "__main__":
    sys.exit(main())
