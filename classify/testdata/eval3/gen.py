#!/usr/bin/env python3
"""Third evaluation set for classify: a blind check.

Written after the rules of issue 15 and run once against them before any
change: social-insurance contribution details, expense claims, an
e-commerce order export (a JSON array) and health-insurance claims. Its own
vocabulary and seed. Run from this folder: python3 gen.py.
"""
import csv, io, json, random

R = random.Random(777)
SUR = "欧阳司马上官东方诸葛赵钱孙李周吴郑王冯陈蒋沈韩杨朱秦许何吕施张孔曹严华金魏陶姜"
SURS = ["赵", "钱", "孙", "李", "周", "吴", "郑", "王", "冯", "陈", "蒋", "沈", "韩", "杨", "朱", "秦", "许", "何", "吕", "张", "曹", "严", "金", "魏", "陶", "姜", "欧阳", "司马"]
GIV = "一二三小大文武国家明亮光辉春夏秋冬梅兰竹菊宏伟志强丽娟晓燕海波"
PY = ["Chen Jie", "Liu Yang", "Zhou Min", "Xu Lei", "Gao Fei", "Song Jia", "Tang Wei", "Han Mei", "Feng Rui", "Deng Chao", "Cao Yu", "Peng Li"]
REG = ["110108", "310115", "440304", "330110", "510104", "420102", "320102", "610103"]
CITIES = ["北京", "上海", "深圳", "杭州", "成都", "武汉", "南京", "西安"]
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

def name():
    return R.choice(SURS) + "".join(R.choice(GIV) for _ in range(R.choice([1, 2])))

def digits(n):
    return "".join(R.choice("0123456789") for _ in range(n))

def rid():
    b = "%s%04d%02d%02d%03d" % (R.choice(REG), R.randint(1950, 2004), R.randint(1, 12), R.randint(1, 28), R.randint(1, 999))
    return b + "10X98765432"[sum(int(a) * w for a, w in zip(b, W)) % 11]

def luhn(prefix, n):
    body = prefix + digits(n - len(prefix) - 1)
    for c in "0123456789":
        s, d = 0, False
        for ch in reversed(body + c):
            v = int(ch)
            if d:
                v = v * 2 - 9 if v * 2 > 9 else v * 2
            s += v; d = not d
        if s % 10 == 0:
            return body + c

def card():
    return luhn(R.choice(["6214", "6230", "6222", "6217", "6259"]), R.choice([16, 19]))

def mobile():
    return "1" + R.choice("3456789") + digits(9)

labels = {}
def lab(table, d):
    for k, (t, l) in d.items():
        labels[table + "." + k] = {"type": t, "level": l}

def csvw(fn, hdr, rows):
    b = io.StringIO(); w = csv.writer(b); w.writerow(hdr); w.writerows(rows)
    open(fn, "w", encoding="utf-8").write(b.getvalue())

# 1. Social insurance contributions.
hdr = ["参保人", "社会保障号码", "缴费月份", "险种", "缴费基数", "单位缴费", "个人缴费", "经办机构", "联系电话", "参保状态"]
lab("social_insurance", {"参保人": ("person_name", 3), "社会保障号码": ("cn_resident_id", 1), "缴费月份": ("date", 0), "险种": ("other", 0),
    "缴费基数": ("amount", 2), "单位缴费": ("amount", 2), "个人缴费": ("amount", 2), "经办机构": ("other", 0), "联系电话": ("mobile_phone", 3),
    "参保状态": ("other", 0)})
rows = []
for i in range(96):
    base = R.choice([5975, 7310, 9339, 12000, 18000, 31884])
    c = R.choice(CITIES)
    rows.append([name(), rid(), "2024年%02d月" % R.randint(1, 12), R.choice(["基本养老保险", "基本医疗保险", "失业保险", "工伤保险"]),
                 "%.2f" % base, "%.2f" % (base * 0.16), "%.2f" % (base * 0.08), c + "市社会保险事业管理中心", mobile(),
                 R.choice(["正常参保", "正常参保", "暂停缴费", "终止参保"])])
csvw("social_insurance.csv", hdr, rows)

# 2. Expense claims.
hdr = ["单据编号", "报销人", "部门", "费用类型", "金额", "发票张数", "收款账户", "开户银行", "事由", "提交时间", "审批状态"]
lab("expense_claims", {"单据编号": ("identifier", 0), "报销人": ("person_name", 3), "部门": ("other", 0), "费用类型": ("other", 0),
    "金额": ("amount", 2), "发票张数": ("other", 0), "收款账户": ("bank_card", 1), "开户银行": ("other", 0), "事由": ("free_text", 0),
    "提交时间": ("date", 0), "审批状态": ("other", 0)})
rows = []
for i in range(88):
    c = R.choice(CITIES)
    rows.append(["BX2024%02d%04d" % (R.randint(1, 12), i), name(), R.choice(["市场部", "技术部", "财务部", "总经办"]),
                 R.choice(["差旅费", "业务招待费", "交通费", "办公费", "培训费"]), "%.2f" % (R.randint(2000, 900000) / 100), str(R.randint(1, 9)),
                 card(), R.choice(["招商银行", "中国工商银行", "中国银行", "上海浦东发展银行", "中国邮政储蓄银行"]) + c + "分行",
                 R.choice(["赴%s参加客户会议" % c, "%s项目现场支持，往返机票及住宿" % c, "接待%s来访客户" % c, "参加%s行业展会" % c, "购买办公耗材"]),
                 "2024-%02d-%02dT%02d:%02d:00+08:00" % (R.randint(1, 12), R.randint(1, 28), R.randint(8, 20), R.randint(0, 59)),
                 R.choice(["已审批", "审批中", "已驳回", "已付款"])])
csvw("expense_claims.csv", hdr, rows)

# 3. E-commerce orders, one JSON array.
lab("orders", {"order_id": ("identifier", 0), "customer.name": ("person_name", 3), "customer.phone": ("mobile_phone", 3),
    "customer.email": ("email", 3), "shipping.address": ("address", 2), "total": ("amount", 2), "items_count": ("other", 0),
    "payment_method": ("other", 0), "created": ("date", 0), "weight_g": ("other", 0)})
orders = []
streets = ["Nanjing Road", "Huaihai Road", "Zhongshan Avenue", "Renmin Road", "Jiefang Road", "Binjiang Avenue"]
for i in range(120):
    n = R.choice(PY)
    m = mobile()
    orders.append({"order_id": "SO%010d" % (R.randint(10**9, 10**10 - 1)),
                   "customer": {"name": n, "phone": "+86-%s-%s-%s" % (m[:3], m[3:7], m[7:]), "email": "%s%d@mail.example.cn" % (n.split()[1].lower(), i)},
                   "shipping": {"address": "%d %s, %s District, %s" % (R.randint(1, 999), R.choice(streets), R.choice(["Xuhui", "Minhang", "Jing'an", "Futian"]), R.choice(["Shanghai", "Shenzhen"]))},
                   "total": "¥{:,.2f}".format(R.randint(1000, 2000000) / 100), "items_count": R.randint(1, 12),
                   "payment_method": R.choice(["Alipay", "WeChat Pay", "UnionPay", "Cash on delivery"]),
                   "created": R.randint(1700000000000, 1760000000000), "weight_g": R.choice([80, 250, 1200, 15300, 560, 98000, 3])})
json.dump(orders, open("orders.json", "w", encoding="utf-8"), ensure_ascii=False, indent=1)

# 4. Health insurance claims.
hdr = ["保单号", "被保险人", "证件号", "出险日期", "诊断", "就诊医院", "理赔金额", "收款账号"]
lab("health_claims", {"保单号": ("identifier", 0), "被保险人": ("person_name", 3), "证件号": ("cn_resident_id", 1), "出险日期": ("date", 0),
    "诊断": ("medical", 1), "就诊医院": ("company_name", 3), "理赔金额": ("amount", 2), "收款账号": ("bank_card", 1)})
rows = []
for i in range(70):
    c = R.choice(CITIES)
    rows.append(["P%s2024%07d" % (R.choice(["44", "31", "11"]), i), name(), rid(), "2024/%d/%d" % (R.randint(1, 12), R.randint(1, 28)),
                 R.choice(["急性阑尾炎", "2型糖尿病", "腰椎间盘突出", "支气管炎", "高血压", "骨折", "胃溃疡"]),
                 c + R.choice(["市第一人民医院", "协和医院", "中医院", "儿童医院"]), "%.2f" % (R.randint(30000, 8000000) / 100), card()])
csvw("health_claims.csv", hdr, rows)

json.dump(labels, open("labels.json", "w", encoding="utf-8"), ensure_ascii=False, indent=2, sort_keys=True)
open("labels.json", "a").write("\n")
print(len(labels), "fields")
