"""The customer microservice: a REST API that keeps its customers in Perdure, and nothing else.

It is the launch walkthrough's service (Flask + Flask-RESTful + redis-py's Redis Cluster
client), unchanged except for one extra variable: the CA certificate that signed the
database's TLS certificate (Perdure's development certificates are not publicly signed).

Configuration (environment variables):

    HOST, PORT       where this HTTP service listens (default 127.0.0.1:5000)
    DBHOST, DBPORT   the database endpoint (default 127.0.0.1:6379)
    DBUSERNAME       the database (ACL) user
    DBPASSWORD       its password
    DBCACERT         the CA certificate file to verify the database with (default: the
                     system's trusted CAs)

Resources:

    POST   /customers        create: a JSON object -> 201 with the object and its "id"
    GET    /customers        every customer (fields + "id")
    GET    /customers/<id>   one customer, 404 if there is none
    PUT    /customers/<id>   update the given fields -> 204
    DELETE /customers/<id>   -> 204

Each customer is a hash at ``customer:<uuid4>``.  Values come back as strings (a hash stores
strings): POST echoes ``"balance": 1000``, GET shows ``"balance": "1000"``.
"""

from __future__ import annotations

import os
import uuid

from flask import Flask, request
from flask_restful import Api, Resource, abort
from redis.cluster import RedisCluster

KEY_PREFIX = "customer:"


def connect() -> RedisCluster:
    """The database client, as in the walkthrough: Redis Cluster protocol over TLS with an
    ACL user, started from one node."""
    return RedisCluster(
        host=os.environ.get("DBHOST", "127.0.0.1"),
        port=int(os.environ.get("DBPORT", "6379")),
        username=os.environ.get("DBUSERNAME") or None,
        password=os.environ.get("DBPASSWORD") or None,
        ssl=True,
        ssl_ca_certs=os.environ.get("DBCACERT") or None,
        decode_responses=True,
        skip_full_coverage_check=True,  # a no-op for redis-py, kept from the walkthrough
    )


app = Flask(__name__)
api = Api(app)
db = connect()


def _customer_json():
    """The request body: a JSON object of scalar fields (a hash stores flat strings)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not data:
        abort(400, message="the body must be a non-empty JSON object")
    for name, value in data.items():
        if isinstance(value, (dict, list)) or value is None:
            abort(400, message="field %r must be a string, a number or a boolean" % name)
    return {k: str(v).lower() if isinstance(v, bool) else v for k, v in data.items()}


class Customers(Resource):
    def get(self):
        customers = []
        for key in db.scan_iter(match=KEY_PREFIX + "*"):
            fields = db.hgetall(key)
            if fields:  # deleted between SCAN and HGETALL
                fields["id"] = key[len(KEY_PREFIX):]
                customers.append(fields)
        return customers, 200

    def post(self):
        data = _customer_json()
        customer_id = str(uuid.uuid4())
        db.hset(KEY_PREFIX + customer_id, mapping=data)
        return {**request.get_json(), "id": customer_id}, 201


class Customer(Resource):
    def get(self, customer_id):
        fields = db.hgetall(KEY_PREFIX + customer_id)
        if not fields:
            abort(404, message="customer %s not found" % customer_id)
        fields["id"] = customer_id
        return fields, 200

    def put(self, customer_id):
        db.hset(KEY_PREFIX + customer_id, mapping=_customer_json())
        return "", 204

    def delete(self, customer_id):
        db.delete(KEY_PREFIX + customer_id)
        return "", 204


api.add_resource(Customers, "/customers")
api.add_resource(Customer, "/customers/<string:customer_id>")


if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
