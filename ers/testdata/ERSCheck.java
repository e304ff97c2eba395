// ERSCheck validates RFC 4998 evidence records with Bouncy Castle's
// org.bouncycastle.tsp.ers classes (Debian's libbcpkix-java 1.72), as an
// outside checker of what package ers writes. bc_test.go compiles
// and runs it.
//
// Usage: java ERSCheck AT-MILLIS RECORD DATA [RECORD DATA]...
// For each pair it prints one line: "VALID n" (n archive time-stamps) or
// "INVALID reason". A record is valid when Bouncy Castle
//   - parses it (ERSEvidenceRecord, which checks that each time-stamp
//     renewal covers the previous time-stamp of its chain),
//   - finds the data present at AT-MILLIS (validatePresent: the data's
//     hash, combined with the hash of the earlier chains after a hash-tree
//     renewal, is in the first reduced hash tree of the last chain, whose
//     root is its time-stamp's imprint),
//   - accepts the last time-stamp as covering every earlier one of its
//     chain, and its signature (validate),
//   - and accepts the signature of every other time-stamp of the record.
// Trust in the TSAs' roots is the Go verifier's part, not checked here.
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.Security;
import java.util.Date;

import org.bouncycastle.asn1.tsp.ArchiveTimeStamp;
import org.bouncycastle.asn1.tsp.ArchiveTimeStampChain;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.SignerInformationVerifier;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.tsp.ers.ERSArchiveTimeStamp;
import org.bouncycastle.tsp.ers.ERSByteData;
import org.bouncycastle.tsp.ers.ERSEvidenceRecord;

public class ERSCheck {
    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        Date at = new Date(Long.parseLong(args[0]));
        DigestCalculatorProvider digests = new JcaDigestCalculatorProviderBuilder().setProvider("BC").build();
        for (int i = 1; i + 1 < args.length; i += 2) {
            byte[] record = Files.readAllBytes(Paths.get(args[i]));
            byte[] data = Files.readAllBytes(Paths.get(args[i + 1]));
            try {
                System.out.println("VALID " + check(record, data, at, digests));
            } catch (Exception e) {
                System.out.println("INVALID " + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' '));
            }
        }
    }

    static int check(byte[] record, byte[] data, Date at, DigestCalculatorProvider digests) throws Exception {
        ERSEvidenceRecord ers = new ERSEvidenceRecord(record, digests);
        ers.validatePresent(new ERSByteData(data), at);
        ers.validate(verifier(ers.getSigningCertificate()));
        int n = 0;
        for (ArchiveTimeStampChain chain : ers.toASN1Structure().getArchiveTimeStampSequence().getArchiveTimeStampChains()) {
            for (ArchiveTimeStamp ats : chain.getArchiveTimestamps()) {
                ERSArchiveTimeStamp one = new ERSArchiveTimeStamp(ats, digests);
                one.validate(verifier(one.getSigningCertificate()));
                n++;
            }
        }
        return n;
    }

    static SignerInformationVerifier verifier(X509CertificateHolder cert) throws Exception {
        if (cert == null) {
            throw new IllegalArgumentException("time-stamp without its signing certificate");
        }
        return new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(cert);
    }
}
