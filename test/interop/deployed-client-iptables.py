"""The deployed PQConnect client (Debian's pqconnect package, unchanged) with one step
replaced: DNS answers reach its netfilter queue through an iptables NFQUEUE rule instead
of an nftables `queue` rule, which kernels without CONFIG_NFT_QUEUE (these machines')
refuse. Everything else -- its DNS rewriting, key download, handshake, tunnel and TUN
relay -- is the deployed code. Run inside the trixie root by the interop tests; the
arguments are those of `pqconnect`.
"""

import subprocess
import sys

import pqconnect.dnsproxy
from pqconnect.client import main

QUEUE = 0
RULE = ["INPUT", "-p", "udp", "--sport", "53", "-j", "NFQUEUE", "--queue-num", str(QUEUE)]


class IptablesQueueRule:
    """Stands in for the deployed NfqueueBuilder: same build/tear_down contract."""

    def __init__(self, table_name):
        self.table_name = table_name
        self.queue_num = QUEUE

    def tear_down(self):
        while subprocess.run(["iptables", "-D", *RULE], capture_output=True).returncode == 0:
            pass

    def build(self, delete_existing=True):
        if delete_existing:
            self.tear_down()
        subprocess.run(["iptables", "-I", *RULE], check=True)
        return self.queue_num


pqconnect.dnsproxy.NfqueueBuilder = IptablesQueueRule
print("deployed client: DNS answers queued by iptables NFQUEUE (kernel lacks nft queue)", file=sys.stderr, flush=True)
sys.argv[0] = "pqconnect"
sys.exit(main())
