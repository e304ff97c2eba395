// ERSGenerate has Bouncy Castle's org.bouncycastle.tsp.ers generator
// (Debian's libbcpkix-java 1.72) build RFC 4998 evidence records over many
// data objects, with the time-stamp from Custos's built-in TSA, so that
// package ers verifies records of another producer. bc_test.go compiles
// and runs it, in two calls over the same data:
//
//   java ERSGenerate request REQUEST DATA...
//     writes the DER TimeStampRequest over the root of the hash tree;
//   java ERSGenerate records RESPONSE OUT DATA...
//     reads the DER TimeStampResponse and writes OUT-i.ers, the i-th
//     evidence record, for each.
//
// Each DATA is a file, or files joined by commas: a data group
// (ERSDataGroup), whose hashes make the first PartialHashtree.
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.DigestCalculator;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.tsp.TimeStampRequestGenerator;
import org.bouncycastle.tsp.TimeStampResponse;
import org.bouncycastle.tsp.ers.ERSArchiveTimeStamp;
import org.bouncycastle.tsp.ers.ERSArchiveTimeStampGenerator;
import org.bouncycastle.tsp.ers.ERSByteData;
import org.bouncycastle.tsp.ers.ERSData;
import org.bouncycastle.tsp.ers.ERSDataGroup;
import org.bouncycastle.tsp.ers.ERSEvidenceRecord;
import org.bouncycastle.tsp.ers.ERSEvidenceRecordGenerator;

public class ERSGenerate {
    public static void main(String[] args) throws Exception {
        DigestCalculatorProvider digests = new JcaDigestCalculatorProviderBuilder().build();
        DigestCalculator sha256 = digests.get(new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256));
        ERSArchiveTimeStampGenerator gen = new ERSArchiveTimeStampGenerator(sha256);
        int first = args[0].equals("request") ? 2 : 3;
        for (int i = first; i < args.length; i++) {
            gen.addData(data(args[i]));
        }
        if (args[0].equals("request")) {
            TimeStampRequestGenerator req = new TimeStampRequestGenerator();
            req.setCertReq(true);
            Files.write(Paths.get(args[1]), gen.generateTimeStampRequest(req).getEncoded());
            return;
        }
        TimeStampResponse resp = new TimeStampResponse(Files.readAllBytes(Paths.get(args[1])));
        List<ERSArchiveTimeStamp> stamps = gen.generateArchiveTimeStamps(resp);
        List<ERSEvidenceRecord> records = new ERSEvidenceRecordGenerator(digests).generate(stamps);
        for (int i = 0; i < records.size(); i++) {
            Files.write(Paths.get(args[2] + "-" + i + ".ers"), records.get(i).getEncoded());
        }
        System.out.println(records.size());
    }

    static ERSData data(String arg) throws Exception {
        String[] files = arg.split(",");
        List<ERSData> group = new ArrayList<ERSData>();
        for (String f : files) {
            group.add(new ERSByteData(Files.readAllBytes(new File(f).toPath())));
        }
        return group.size() == 1 ? group.get(0) : new ERSDataGroup(group);
    }
}
