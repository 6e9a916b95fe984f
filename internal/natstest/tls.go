package natstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// minTLS is the lowest TLS version the generated configurations accept.
const minTLS = tls.VersionTLS12

// CA is a certificate authority generated for one test, with a server certificate for
// localhost and 127.0.0.1 and a client certificate, all ECDSA P-256. Its PEM files are
// written to a t.TempDir(). A CA is immutable and may be shared by the servers and
// clients of a test.
type CA struct {
	cert     *x509.Certificate
	pool     *x509.CertPool
	server   tls.Certificate
	client   tls.Certificate
	certFile string
	cliCert  string
	cliKey   string
}

// NewCA generates a CA, a server certificate (SAN DNS:localhost, IP:127.0.0.1, valid
// for server authentication) and a client certificate (CN natstest-client, valid for
// client authentication), and writes their PEM files. It fails the test on error.
func NewCA(t testing.TB) *CA {
	t.Helper()
	ca, err := newCA(t.TempDir())
	if err != nil {
		t.Fatalf("natstest: NewCA: %v", err)
	}
	return ca
}

func newCA(dir string) (*CA, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "natstest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	ca := &CA{cert: cert, pool: x509.NewCertPool()}
	ca.pool.AddCert(cert)
	ca.certFile = filepath.Join(dir, "ca.pem")
	if err := writePEM(ca.certFile, "CERTIFICATE", der); err != nil {
		return nil, err
	}

	srvTmpl := leafTemplate(2, "localhost", now, x509.ExtKeyUsageServerAuth)
	srvTmpl.DNSNames = []string{"localhost"}
	srvTmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	if ca.server, _, _, err = ca.issue(srvTmpl, caKey); err != nil {
		return nil, err
	}
	cliTmpl := leafTemplate(3, "natstest-client", now, x509.ExtKeyUsageClientAuth)
	var certDER, keyDER []byte
	if ca.client, certDER, keyDER, err = ca.issue(cliTmpl, caKey); err != nil {
		return nil, err
	}
	ca.cliCert = filepath.Join(dir, "client-cert.pem")
	ca.cliKey = filepath.Join(dir, "client-key.pem")
	if err := writePEM(ca.cliCert, "CERTIFICATE", certDER); err != nil {
		return nil, err
	}
	if err := writePEM(ca.cliKey, "EC PRIVATE KEY", keyDER); err != nil {
		return nil, err
	}
	return ca, nil
}

// leafTemplate describes an end-entity certificate valid around now for one usage.
func leafTemplate(serial int64, cn string, now time.Time, usage x509.ExtKeyUsage) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
}

// issue signs a fresh P-256 key's certificate from tmpl with the CA key.
func (ca *CA) issue(tmpl *x509.Certificate, caKey *ecdsa.PrivateKey) (c tls.Certificate, certDER, keyDER []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return c, nil, nil, err
	}
	certDER, err = x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, caKey)
	if err != nil {
		return c, nil, nil, err
	}
	leaf, err := x509.ParseCertificate(certDER)
	if err != nil {
		return c, nil, nil, err
	}
	keyDER, err = x509.MarshalECPrivateKey(key)
	if err != nil {
		return c, nil, nil, err
	}
	c = tls.Certificate{Certificate: [][]byte{certDER}, PrivateKey: key, Leaf: leaf}
	return c, certDER, keyDER, nil
}

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}

// Pool returns a new certificate pool holding the CA certificate.
func (ca *CA) Pool() *x509.CertPool {
	return ca.pool.Clone()
}

// CertFile returns the path of the CA certificate in PEM.
func (ca *CA) CertFile() string {
	return ca.certFile
}

// ServerCert returns the server certificate (localhost, 127.0.0.1) with its key.
func (ca *CA) ServerCert() tls.Certificate {
	return ca.server
}

// ClientCert returns the client certificate with its key, accepted by TLSVerify servers.
func (ca *CA) ClientCert() tls.Certificate {
	return ca.client
}

// ClientCertFiles returns the paths of the client certificate and its key in PEM.
func (ca *CA) ClientCertFiles() (certFile, keyFile string) {
	return ca.cliCert, ca.cliKey
}

// ClientTLSConfig returns a new client configuration that trusts the CA and presents
// the client certificate. ServerName is left empty for the client to fill from the URL
// (the server certificate is valid for both "localhost" and "127.0.0.1"); a bare
// tls.Client needs it set.
func (ca *CA) ClientTLSConfig() *tls.Config {
	return &tls.Config{
		RootCAs:      ca.Pool(),
		Certificates: []tls.Certificate{ca.client},
		MinVersion:   minTLS,
	}
}

// serverTLSConfig returns a fresh server configuration, requiring client certificates
// signed by the CA when verify is set.
func (ca *CA) serverTLSConfig(verify bool) *tls.Config {
	c := &tls.Config{
		Certificates: []tls.Certificate{ca.server},
		MinVersion:   minTLS,
	}
	if verify {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = ca.Pool()
	}
	return c
}
