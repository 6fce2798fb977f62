package edge

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"
)

// session is what the ALB keeps in its session cookie after sign-in: the
// tokens and the user claims, until the authentication session times out.
type session struct {
	Claims       map[string]any `json:"claims"`
	AccessToken  string         `json:"access_token"`
	IDToken      string         `json:"id_token"`
	RefreshToken string         `json:"refresh_token"`
	Expires      int64          `json:"expires"`
}

// sealer encrypts and authenticates session cookies (the ALB encrypts its
// cookie too; a client can neither read nor forge it).
type sealer struct{ aead cipher.AEAD }

func newSealer() (sealer, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return sealer{}, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, err
	}
	aead, err := cipher.NewGCM(block)
	return sealer{aead}, err
}

func (s sealer) seal(v session) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, nil)), nil
}

func (s sealer) open(cookie string, now time.Time) (session, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cookie)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return session{}, errors.New("malformed session cookie")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return session{}, errors.New("session cookie does not authenticate")
	}
	var v session
	if err := json.Unmarshal(plain, &v); err != nil {
		return session{}, err
	}
	if now.Unix() >= v.Expires {
		return session{}, errors.New("session expired")
	}
	return v, nil
}

// oidcData is the x-amzn-oidc-data header: "The user claims, in JSON web
// tokens (JWT) format", signed with ECDSA P-256 and SHA-256 (ES256). The JWT
// header holds alg, kid, signer (the load balancer's ARN), iss, client and
// exp; the header, payload and signature "are base64 URL encoded and include
// padding characters at the end" (ALB guide, "User claims encoding and
// signature verification"), unlike a standard JWT.
func oidcData(key *ecdsa.PrivateKey, kid, signer, issuer, client string, claims map[string]any, exp time.Time) (string, error) {
	header := map[string]any{"typ": "JWT", "kid": kid, "alg": "ES256", "iss": issuer, "client": client, "signer": signer, "exp": exp.Unix()}
	payload := map[string]any{}
	for k, v := range claims {
		payload[k] = v
	}
	payload["exp"], payload["iss"] = exp.Unix(), issuer
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	p, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	enc := base64.URLEncoding // padded, as the ALB's
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(p)
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + enc.EncodeToString(sig), nil
}
