"""The `metadata-api` suite (SPEC §15): record addresses, signed writes, batch statements and the
exact requests our client sends to a metadata server (`batch` and `torus` modes), replayed from the
vector's keys against its canned responses."""
import base64
import json
import re

from ecdsa import der, sign_rs
from keccak import keccak256
from tkeyspec import G, Q, decompress, pmul


class Failed(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


OUR_CODES_4XX = {409: 'STORAGE_CONFLICT', 413: 'PAYLOAD_TOO_LARGE', 429: 'RATE_LIMITED'}


def js(v):
    """JSON.stringify: keys in insertion order, no whitespace, non-ASCII kept."""
    return json.dumps(v, separators=(',', ':'), ensure_ascii=False)


def stable(v):
    """json-stable-stringify: object keys sorted by UTF-16 code unit, no whitespace."""
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode('utf-16-be'))
        return '{' + ','.join(js(k) + ':' + stable(v[k]) for k in keys) + '}'
    if isinstance(v, list):
        return '[' + ','.join(stable(x) for x in v) + ']'
    return js(v)


def keccak_hex(s):
    return keccak256(s.encode('utf-8')).hex()


def address(k, namespace):
    """{pubX, pubY, namespace}: the unpadded lower-case hex of k·G's affine coordinates."""
    x, y = pmul(k, G)
    return {'pubX': format(x, 'x'), 'pubY': format(y, 'x'), 'namespace': namespace}


def point_address(P, namespace):
    return {'pubX': format(P[0], 'x'), 'pubY': format(P[1], 'x'), 'namespace': namespace}


def signed(k, data, now_s):
    """set_data = {data, timestamp: hex(T)}; signature = base64(r ‖ s ‖ 0x00) over keccak(stableStringify)."""
    set_data = {'data': data, 'timestamp': format(now_s, 'x')}
    digest = keccak256(stable(set_data).encode('utf-8'))
    r, s = sign_rs(k, digest)
    sig = base64.b64encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big') + b'\x00').decode()
    return set_data, digest, sig


def wire(addr, set_data, sig):
    return {'pub_key_X': addr['pubX'], 'pub_key_Y': addr['pubY'], 'namespace': addr['namespace'],
            'set_data': set_data, 'signature': sig}


def write_of(w, now_s):
    k = int(w['ownerKey'], 16)
    set_data, _, sig = signed(k, w['value'], now_s)
    return wire(address(k, w['namespace']), set_data, sig)


def compressed_hex(k):
    x, y = pmul(k, G)
    return format(2 + (y & 1), '02x') + x.to_bytes(32, 'big').hex()


def batch_auth(b, now_s):
    """(D, statement, auth) of a batch; auth carries `lock` when the signer is the account key."""
    rows = []
    for w in b['writes']:
        a = address(int(w['ownerKey'], 16), w['namespace'])
        rows.append([a['pubX'], a['pubY'], a['namespace'], keccak_hex(w['value'])])
    D = keccak_hex(stable(rows))
    statement = stable({'v': 1, 'domain': 'tkey-tss/batch', 'account': b['account'],
                        'baseNonce': b['baseNonce'], 'nonce': b['nonce'], 'writes': D})
    k = int(b['signingKey'], 16)
    set_data, _, sig = signed(k, statement, now_s)
    auth = {'signer': compressed_hex(k), 'set_data': set_data, 'signature': sig}
    if auth['signer'] == b['account']:
        lock_data = {'timestamp': now_s}
        r, s = sign_rs(k, keccak256(stable(lock_data).encode('utf-8')))
        auth['lock'] = {'data': lock_data, 'signature': der(r, s).hex()}
    return D, statement, auth


# ---------------------------------------------------------------- the client against canned answers

class Server:
    """Answers the requests in order from `responses`, recording each request."""

    def __init__(self, responses):
        self.responses = list(responses)
        self.sent = []

    def post(self, path, body=None, fields=None):
        if fields is None:
            self.sent.append({'path': path, 'contentType': 'application/json', 'body': body})
        else:
            self.sent.append({'path': path, 'contentType': 'multipart/form-data',
                              'fields': [{'name': n, 'value': v} for n, v in fields]})
        if not self.responses:
            raise Failed('SERVER_UNAVAILABLE')
        r = self.responses.pop(0)
        st = r['status']
        if 200 <= st < 300:
            try:
                return json.loads(r['body'])
            except ValueError:
                raise Failed('INVALID_JSON')
        if st >= 500:
            raise Failed('SERVER_UNAVAILABLE')
        try:
            code = json.loads(r['body']).get('code')
        except (ValueError, AttributeError):
            code = None
        if isinstance(code, str) and re.fullmatch(r'[A-Z][A-Z0-9_]*', code):
            raise Failed(code)  # "one of ours": an error code of the root README's table
        raise Failed(OUR_CODES_4XX.get(st, 'INVALID_ARGUMENT'))


def addr_body(a):
    return {'pub_key_X': a['pubX'], 'pub_key_Y': a['pubY'], 'namespace': a['namespace']}


def nonce_of_statement(text):
    try:
        st = json.loads(text)
    except ValueError:
        raise Failed('INVALID_JSON')
    if not isinstance(st, dict) or st.get('domain') != 'tkey-tss/batch' or 'nonce' not in st:
        raise Failed('INVALID_JSON')
    return st['nonce']


def nonce_record(account):
    return point_address(decompress(bytes.fromhex(account)), 'tkey-tss/nonce')


def batch_mode(srv, call, now_s):
    m = call['method']
    if m == 'commit':
        b = call['batch']
        if not b['writes']:
            return None
        _, _, auth = batch_auth(b, now_s)
        srv.post('/v1/batch', js({'account': b['account'], 'baseNonce': b['baseNonce'], 'nonce': b['nonce'],
                                  'writes': [write_of(w, now_s) for w in b['writes']],
                                  'auth': {'signer': auth['signer'], 'set_data': auth['set_data'],
                                           'signature': auth['signature']}}))
        return None
    if m == 'getMany':
        out = []
        addrs = call['addresses']
        for i in range(0, len(addrs), 256):
            ans = srv.post('/v1/get', js({'addresses': [addr_body(a) for a in addrs[i:i + 256]]}))
            out += ans['values']
        return out
    if m == 'getNonce':
        return srv.post('/v1/nonce', js({'account': call['account']}))['nonce']
    raise ValueError('method ' + m)


def torus_mode(srv, call, now_s):
    m = call['method']
    if m == 'getMany':
        out = []
        for a in call['addresses']:
            msg = srv.post('/get', js(addr_body(a)))['message']
            out.append(msg if msg != '' else None)
        return out
    if m == 'getNonce':
        msg = srv.post('/get', js(addr_body(nonce_record(call['account']))))['message']
        return None if msg == '' else nonce_of_statement(msg)
    if m != 'commit':
        raise ValueError('method ' + m)
    b = call['batch']
    _, statement, auth = batch_auth(b, now_s)
    if 'lock' not in auth:
        raise Failed('OWNER_KEY_REQUIRED')
    P = decompress(bytes.fromhex(b['account']))
    key = '04' + P[0].to_bytes(32, 'big').hex() + P[1].to_bytes(32, 'big').hex()
    lock = {'key': key, 'data': auth['lock']['data'], 'signature': auth['lock']['signature']}
    ans = srv.post('/acquireLock', js(lock))
    if ans.get('status') != 1:
        raise Failed('STORAGE_LOCKED')
    try:
        rec = nonce_record(b['account'])
        msg = srv.post('/get', js(addr_body(rec)))['message']
        if msg != statement:
            have = None if msg == '' else nonce_of_statement(msg)
            if have != b['baseNonce']:
                raise Failed('STORAGE_CONFLICT')
            fields = [(str(i), js(write_of(w, now_s))) for i, w in enumerate(b['writes'])]
            fields.append((str(len(fields)), js(wire(rec, auth['set_data'], auth['signature']))))
            srv.post('/bulk_set_stream', fields=fields)
    finally:
        srv.post('/releaseLock', js(dict(lock, id=ans['id'])))
    return None


def check_requests(v):
    srv = Server(v['responses'])
    run = batch_mode if v['mode'] == 'batch' else torus_mode
    try:
        result, error = run(srv, v['call'], v['nowS']), None
    except Failed as e:
        result, error = None, e.code
    for i, (got, want) in enumerate(zip(srv.sent, v['requests'])):
        if got != want:
            return 'requests[%d] (%s) differs from the expected %s' % (i, got['path'], want['path'])
    if len(srv.sent) != len(v['requests']):
        return 'sent %d requests, expected %d' % (len(srv.sent), len(v['requests']))
    if srv.responses:
        return '%d responses left unused' % len(srv.responses)
    if error != v.get('error'):
        return 'error: got %s, expected %s' % (error, v.get('error'))
    if 'error' not in v and result != v['result']:
        return 'result: got %s, expected %s' % (js(result)[:60], js(v['result'])[:60])
    return None


def check_vector(v, by_id=None):
    op = v['op']
    if op == 'write-auth':
        k = int(v['ownerKey'], 16)
        set_data, digest, sig = signed(k, v['value'], v['nowS'])
        got = {'address': address(k, v['namespace']), 'setData': set_data, 'digest': digest.hex(), 'signature': sig}
    elif op == 'batch-auth':
        D, statement, auth = batch_auth(v['batch'], v['nowS'])
        got = {'writesDigest': D, 'statement': statement, 'auth': auth}
    elif op == 'requests':
        return check_requests(v)
    else:
        raise ValueError('metadata-api op ' + str(op))
    for name, val in got.items():
        if val != v[name]:
            return '%s: got %s, expected %s' % (name, js(val)[:80], js(v[name])[:80])
    return None
